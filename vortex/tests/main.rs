//! Vortex integration tests.
