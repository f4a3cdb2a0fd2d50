//! The engine's integration tests, gathered into one binary (see the workspace's convention).
