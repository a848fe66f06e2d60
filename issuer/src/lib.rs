//! Reference issuer and settlement service.
//!
//! Empty for now: the HTTP service, its SQLite store and the settlement rules are delivered
//! by the issuer issue. It will reuse `offline_cash_core::token` and `::policy`, so the same
//! code verifies a note on a phone and at settlement.
#![forbid(unsafe_code)]
