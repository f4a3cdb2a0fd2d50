//! Integration tests of the open network: several in-process nodes on 127.0.0.1, every wait
//! bounded by a deadline.

mod follow;
mod gossip;
mod reconnect;
mod support;
mod sync;
