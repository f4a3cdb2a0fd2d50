//! Integration tests of `vnt-zk`, gathered into one binary so the keys and proofs they share
//! (see `common`) are made once: `cargo test -p vnt-zk --test integration [filter]`.

mod agreement;
mod batch;
mod common;
mod rejections;
mod zcash;
