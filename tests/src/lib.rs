//! Cross-crate tests live in `tests/`; this library only compiles the workspace README's Rust
//! examples as doctests, so the README cannot drift from the code.

/// The workspace README, whose Rust blocks `cargo test` compiles and runs.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
