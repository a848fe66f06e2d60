//! Optional session encryption: ephemeral ECDH P-256, HKDF-SHA-256, AES-256-GCM with a
//! counter per direction (the construction ISO 18013-5 uses for mobile documents).
//!
//! ```text
//!  payee: e_B, E_B ──(in the request)──► payer: e_A, E_A
//!  Z = ECDH(e_A, E_B) = ECDH(e_B, E_A)
//!  K = HKDF-SHA256(salt = SHA-256(request bytes), ikm = Z, info = "OC1 session", 64 bytes)
//!  K[0..32]  payer → payee     K[32..64] payee → payer
//!  nonce = direction (4 bytes) ‖ counter (8 bytes, big-endian)
//! ```
//! An eavesdropper sees the request (public: a certificate and an amount) but not the notes,
//! their history or the receipt. The payee's ephemeral key `E_B` is inside its signed request
//! (protocol version 2), so it is bound to the payee's certificate: an active relay that
//! substitutes its own key breaks the request's signature, and the payer refuses it. Other
//! authenticity comes from the signatures inside (links, receipt). The ephemeral secret comes from 32 bytes the caller supplies (so tests
//! are deterministic); the caller must draw them from a CSPRNG.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use zeroize::Zeroizing;

use super::ProtocolError;
use crate::crypto::sha256;

/// An ephemeral P-256 key pair for one tap.
pub struct Ephemeral {
    secret: p256::SecretKey,
}

impl std::fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ephemeral")
    }
}

impl Ephemeral {
    /// A key from 32 random bytes; `None` if they are not a valid scalar (draw again).
    pub fn from_seed(seed: &[u8; 32]) -> Option<Self> {
        p256::SecretKey::from_slice(seed).ok().map(|secret| Self { secret })
    }

    /// The public key, compressed.
    pub fn public_key(&self) -> [u8; 33] {
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        let point = self.secret.public_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// Derives the session keys with the peer's public key, bound to the request bytes.
    pub fn agree(&self, peer: &[u8; 33], request_bytes: &[u8]) -> Result<SessionKeys, ProtocolError> {
        let peer = p256::PublicKey::from_sec1_bytes(peer).map_err(|_| ProtocolError::Decryption)?;
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), peer.as_affine());
        let salt = sha256(&[request_bytes]);
        let hk = Hkdf::<sha2::Sha256>::new(Some(&salt), shared.raw_secret_bytes());
        let mut okm = Zeroizing::new([0u8; 64]);
        hk.expand(b"OC1 session", okm.as_mut()).map_err(|_| ProtocolError::Decryption)?;
        let (a, b) = okm.split_at(32);
        Ok(SessionKeys {
            payer_to_payee: Aes256Gcm::new_from_slice(a).map_err(|_| ProtocolError::Decryption)?,
            payee_to_payer: Aes256Gcm::new_from_slice(b).map_err(|_| ProtocolError::Decryption)?,
            sent: 0,
            received: 0,
        })
    }
}

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the payer to the payee.
    PayerToPayee,
    /// From the payee to the payer.
    PayeeToPayer,
}

/// The two keys of one session and the message counters.
pub struct SessionKeys {
    payer_to_payee: Aes256Gcm,
    payee_to_payer: Aes256Gcm,
    sent: u64,
    received: u64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys").field("sent", &self.sent).field("received", &self.received).finish()
    }
}

fn nonce(direction: Direction, counter: u64) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(match direction {
        Direction::PayerToPayee => b"P2Y\0",
        Direction::PayeeToPayer => b"Y2P\0",
    });
    n[4..].copy_from_slice(&counter.to_be_bytes());
    Nonce::from(n)
}

impl SessionKeys {
    fn key(&self, direction: Direction) -> &Aes256Gcm {
        match direction {
            Direction::PayerToPayee => &self.payer_to_payee,
            Direction::PayeeToPayer => &self.payee_to_payer,
        }
    }

    /// Encrypts the next message we send in `direction`; `aad` is the frame type.
    pub fn seal(&mut self, direction: Direction, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let ct = self
            .key(direction)
            .encrypt(&nonce(direction, self.sent), Payload { msg: plaintext, aad })
            .map_err(|_| ProtocolError::Decryption)?;
        self.sent += 1;
        Ok(ct)
    }

    /// Decrypts the next message we receive in `direction`.
    pub fn open(&mut self, direction: Direction, aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let pt = self
            .key(direction)
            .decrypt(&nonce(direction, self.received), Payload { msg: ciphertext, aad })
            .map_err(|_| ProtocolError::Decryption)?;
        self.received += 1;
        Ok(pt)
    }
}
