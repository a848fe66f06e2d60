//! UniFFI facade over `offline-cash-core`.
//!
//! Empty for now: the facade is delivered by the bindings issue. It will only wrap core
//! types (no business logic here); generated Kotlin/Swift/Python is never committed.
#![forbid(unsafe_code)]
