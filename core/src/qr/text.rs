//! The text form shared by URIs and parts: `offlinecash:` ‖ kind letter ‖ BASE32(bytes).

use super::QrError;
use data_encoding::BASE32_NOPAD;

/// Splits `text` into its kind letter and decoded payload; accepts any letter case.
pub(super) fn decode(text: &str, limit: usize) -> Result<(char, Vec<u8>), QrError> {
    let text = text.trim();
    // Base32 grows 8/5: refuse before decoding anything bigger than the limit could be.
    let max_chars = super::uri::SCHEME.len() + 1 + limit.div_ceil(5) * 8;
    if text.len() > max_chars {
        return Err(QrError::TooLarge { len: text.len(), limit: max_chars });
    }
    let scheme = super::uri::SCHEME;
    let head = text.get(..scheme.len()).ok_or(QrError::NotOurScheme)?;
    if !head.eq_ignore_ascii_case(scheme) {
        return Err(QrError::NotOurScheme);
    }
    let rest = text.get(scheme.len()..).ok_or(QrError::NotOurScheme)?;
    let mut chars = rest.chars();
    let kind = chars.next().ok_or(QrError::WrongKind { found: None, expected: "R, C or P" })?.to_ascii_uppercase();
    let payload = chars.as_str().to_ascii_uppercase();
    let bytes = BASE32_NOPAD.decode(payload.as_bytes()).map_err(|e| QrError::Base32 { position: e.position })?;
    if bytes.len() > limit {
        return Err(QrError::TooLarge { len: bytes.len(), limit });
    }
    Ok((kind, bytes))
}

/// `offlinecash:` ‖ `kind` ‖ BASE32(bytes), the payload upper case.
pub(super) fn encode(kind: char, bytes: &[u8]) -> String {
    let mut out = String::with_capacity(super::uri::SCHEME.len() + 1 + bytes.len().div_ceil(5) * 8);
    out.push_str(super::uri::SCHEME);
    out.push(kind);
    out.push_str(&BASE32_NOPAD.encode(bytes));
    out
}
