//! Placeholder: the Rust contract SDK.
#![no_std]
