//! Request signing: every mutating request is signed by the wallet's key.
//!
//! ```text
//!  digest = SHA-256("OC1/request" ‖ method ‖ 0x00 ‖ path ‖ 0x00 ‖ SHA-256(body)
//!                   ‖ timestamp (u64 big-endian) ‖ nonce (16 bytes) ‖ wallet id (32 bytes))
//!  signature = Signer::sign(signing_message(suite, digest))
//!  headers: x-oc-wallet: hex(wallet id)       x-oc-timestamp: decimal Unix seconds
//!           x-oc-nonce:  hex(16 bytes)         x-oc-signature: base64(suite id ‖ signature)
//! ```
//!
//! The issuer refuses a timestamp outside its window and a nonce it has already seen for that
//! wallet. This module only computes and parses; it keeps no clock and stores no nonce.

use base64::Engine as _;

use crate::crypto::{CryptoError, Signature, Signer, Suite, sha256, signing_message};
use crate::token::WalletId;

/// Header carrying the hex wallet id.
pub const HEADER_WALLET: &str = "x-oc-wallet";
/// Header carrying the Unix timestamp (seconds).
pub const HEADER_TIMESTAMP: &str = "x-oc-timestamp";
/// Header carrying the hex 16-byte nonce.
pub const HEADER_NONCE: &str = "x-oc-nonce";
/// Header carrying base64(suite id ‖ signature bytes).
pub const HEADER_SIGNATURE: &str = "x-oc-signature";

/// The canonical digest of a request.
pub fn request_digest(
    method: &str,
    path: &str,
    body: &[u8],
    timestamp: u64,
    nonce: &[u8; 16],
    wallet: &WalletId,
) -> [u8; 32] {
    sha256(&[
        b"OC1/request",
        method.as_bytes(),
        &[0],
        path.as_bytes(),
        &[0],
        &sha256(&[body]),
        &timestamp.to_be_bytes(),
        nonce,
        &wallet.0,
    ])
}

/// Signs a request digest and encodes it for [`HEADER_SIGNATURE`].
pub fn sign_digest(signer: &dyn Signer, digest: &[u8; 32]) -> Result<String, CryptoError> {
    let sig = signer.sign(&signing_message(signer.suite(), digest))?;
    let mut raw = Vec::with_capacity(1 + sig.as_bytes().len());
    raw.push(sig.suite().id());
    raw.extend_from_slice(sig.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(raw))
}

/// Decodes a [`HEADER_SIGNATURE`] value.
pub fn parse_signature(header: &str) -> Option<Signature> {
    let raw = base64::engine::general_purpose::STANDARD.decode(header).ok()?;
    let (suite, bytes) = raw.split_first()?;
    let suite = Suite::from_id(u64::from(*suite)).ok()?;
    Signature::from_bytes(suite, bytes).ok()
}

/// Decodes a hex string of exactly `N` bytes.
pub fn parse_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, slot) in out.iter_mut().enumerate() {
        let pair = text.get(2 * i..2 * i + 2)?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// base64 (standard, padded) of `bytes`.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard padded base64.
pub fn from_b64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}
