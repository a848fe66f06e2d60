//! The size of certificate hints, shared by both request forms.

/// Most certificate hints a request may carry.
pub const MAX_CERT_HINTS: usize = 64;
/// Length of a certificate hint: the first bytes of a certificate's id (digest).
pub const CERT_HINT_LEN: usize = 8;
