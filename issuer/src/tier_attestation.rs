//! Tiers at registration: the seam to the key attestation verifiers, the single-use
//! challenges they check, and the tier a registration ends with.
//!
//! ```text
//!  POST /v1/attestation-challenge (account credential) ─► challenge: 32 random bytes, stored
//!        bound to the account, valid CHALLENGE_TTL_SECS, used at most once
//!  POST /v1/wallets {…, challenge, attestation}
//!        ─► consume the challenge (this account, not expired) ─► AttestationVerifier::verify
//!        ─► Tier ─► Issuer::register_at: the certificate (and every renewal) carries it
//!  POST /v1/wallets without evidence ─► software for a new wallet; a renewal keeps its tier
//! ```
//!
//! The verifiers themselves (Android key attestation, App Attest) are not here: the issuer is
//! given one through [`crate::IssuerConfig::attestation`]. The default, [`RefuseEvidence`],
//! refuses all evidence, so without a real verifier every wallet is software.

use offline_cash_core::crypto::{PublicKey, sha256};
use offline_cash_core::reason::Reason;
pub use offline_cash_core::sync::AttestationEvidence;
use offline_cash_core::sync::{auth, wire};
use offline_cash_core::token::Tier;
use rand_core::{OsRng, RngCore as _};

use crate::store::{Accounts as _, Challenges as _, Store as _, Wallets};

use crate::issuer::{Caller, to_i64};
use crate::{Issuer, IssuerError};

/// How long a challenge stays valid (seconds): long enough to create a key and attest it.
pub const CHALLENGE_TTL_SECS: u64 = 600;

/// Most open (unused, unexpired) challenges one account may hold.
pub const MAX_OPEN_CHALLENGES: i64 = 8;

/// Checks key attestation evidence for a registration.
pub trait AttestationVerifier: Send + Sync {
    /// The tier that `evidence` proves for `wallet_key` (the encoded public key being
    /// registered) under `challenge` at `now`, or the reason it proves nothing. A verifier
    /// may answer a lower tier than claimed (a software-level attestation of a TEE claim).
    fn verify(
        &self,
        evidence: &AttestationEvidence,
        challenge: &[u8],
        wallet_key: &[u8],
        now: u64,
    ) -> Result<Tier, Reason>;
}

/// The default verifier: refuses every evidence ([`Reason::AttestationRefused`]); wallets
/// registered without evidence are software.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefuseEvidence;

impl AttestationVerifier for RefuseEvidence {
    fn verify(&self, _: &AttestationEvidence, _: &[u8], _: &[u8], _: u64) -> Result<Tier, Reason> {
        Err(Reason::AttestationRefused)
    }
}

/// A verifier for tests: accepts the evidence [`FakeVerifier::evidence`] makes (the claimed
/// tier, the challenge and the key in the clear); anything else is refused. Never for
/// production: it proves nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct FakeVerifier;

impl FakeVerifier {
    const MAGIC: &'static [u8] = b"fake-attestation";

    /// Evidence claiming `tier` for `wallet_key` under `challenge` (App Attest for the
    /// Secure Enclave, an Android chain of one "certificate" otherwise).
    pub fn evidence(tier: Tier, challenge: &[u8], wallet_key: &[u8]) -> AttestationEvidence {
        let blob = [Self::MAGIC, &[tier.code()], &sha256(&[challenge]), wallet_key].concat();
        match tier {
            Tier::SecureEnclave => AttestationEvidence::AppAttest { attestation_object: blob, key_id: vec![1; 32] },
            _ => AttestationEvidence::Android { chain: vec![blob] },
        }
    }
}

impl AttestationVerifier for FakeVerifier {
    fn verify(
        &self,
        evidence: &AttestationEvidence,
        challenge: &[u8],
        wallet_key: &[u8],
        _: u64,
    ) -> Result<Tier, Reason> {
        let blob = match evidence {
            AttestationEvidence::Android { chain } => chain.first(),
            AttestationEvidence::AppAttest { attestation_object, .. } => Some(attestation_object),
        };
        let rest = blob.and_then(|b| b.strip_prefix(Self::MAGIC)).ok_or(Reason::AttestationRefused)?;
        let (&code, rest) = rest.split_first().ok_or(Reason::AttestationRefused)?;
        let tier = Tier::from_code(u64::from(code)).ok_or(Reason::AttestationRefused)?;
        let (digest, key) = rest.split_at_checked(32).ok_or(Reason::AttestationRefused)?;
        if digest != sha256(&[challenge]) || key != wallet_key {
            return Err(Reason::AttestationRefused);
        }
        Ok(tier)
    }
}

/// Issuer schema v8 (SQLite; PostgreSQL step 7): the tier recorded per wallet, and the open
/// challenges.
pub const SCHEMA_V8: &str = "
ALTER TABLE wallets ADD COLUMN tier INTEGER NOT NULL DEFAULT 0;
CREATE TABLE attestation_challenges (
    challenge BLOB PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts(id),
    expires_at INTEGER NOT NULL
);
CREATE INDEX attestation_challenges_account ON attestation_challenges (account);
";

fn refused(reason: Reason, what: impl Into<String>) -> IssuerError {
    IssuerError::Attestation { reason, what: what.into() }
}

impl Issuer {
    /// Hands out a registration challenge to the account whose bearer `credential` this is.
    pub fn attestation_challenge(
        &self,
        credential: Option<&str>,
    ) -> Result<wire::AttestationChallengeResponse, IssuerError> {
        let credential =
            credential.ok_or_else(|| IssuerError::Unauthorized { what: "missing bearer credential".into() })?;
        let hash = sha256(&[credential.as_bytes()]);
        let now = self.now();
        let expires_at = now.saturating_add(CHALLENGE_TTL_SECS);
        let mut challenge = [0u8; 32];
        OsRng.fill_bytes(&mut challenge);
        let (now_i, expires_i) = (to_i64(now)?, to_i64(expires_at)?);
        self.store.write(|tx| {
            let account = tx
                .account_by_credential(&hash)?
                .ok_or_else(|| IssuerError::Unauthorized { what: "unknown credential".into() })?;
            if tx.open_challenges(account, now_i)? >= MAX_OPEN_CHALLENGES {
                return Err(IssuerError::RateLimited { retry_after_secs: CHALLENGE_TTL_SECS });
            }
            tx.put_challenge(&challenge, account, expires_i)
        })?;
        Ok(wire::AttestationChallengeResponse { challenge: auth::to_hex(&challenge), expires_at })
    }

    /// Registers (or renews) the caller's key with the evidence `req` carries, if any: the
    /// challenge is used up first (a refused attestation cannot be retried with it), then the
    /// verifier decides the tier.
    pub fn register_request(
        &self,
        caller: Caller,
        key: &PublicKey,
        req: &wire::RegisterRequest,
    ) -> Result<wire::RegisterResponse, IssuerError> {
        let tier = match (&req.challenge, &req.attestation) {
            (None, None) => None,
            (Some(challenge), Some(evidence)) => {
                let challenge = auth::parse_hex::<32>(challenge).ok_or_else(|| IssuerError::malformed("challenge"))?;
                let evidence = AttestationEvidence::from_wire(evidence)
                    .ok_or_else(|| IssuerError::malformed("attestation: base64 fields, 1..=8 certificates"))?;
                self.consume_challenge(caller.account, &challenge)?;
                let tier = self
                    .config
                    .attestation
                    .verify(&evidence, &challenge, key.as_bytes(), self.now())
                    .map_err(|reason| refused(reason, "the key attestation does not verify"))?;
                tracing::info!(wallet = %caller.wallet, tier = tier.name(), "key attestation verified");
                Some(tier)
            }
            _ => return Err(IssuerError::malformed("challenge and attestation go together")),
        };
        self.register_at(caller, key, tier)
    }

    fn consume_challenge(&self, account: i64, challenge: &[u8; 32]) -> Result<(), IssuerError> {
        let now = to_i64(self.now())?;
        if !self.store.write(|tx| tx.consume_challenge(challenge, account, now))? {
            return Err(refused(Reason::AttestationChallenge, "unknown, expired, used or another account's challenge"));
        }
        Ok(())
    }
}

/// The tier a registration records: the verified one, else (a renewal) the one recorded.
pub(crate) fn tier_to_record(
    tx: &mut (impl Wallets + ?Sized),
    wallet: &[u8],
    verified: Option<Tier>,
) -> Result<Tier, IssuerError> {
    if let Some(tier) = verified {
        return Ok(tier);
    }
    let recorded = tx.wallet_tier(wallet)?;
    Ok(recorded.and_then(|c| u64::try_from(c).ok()).and_then(Tier::from_code).unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_verifier_checks_challenge_and_key_and_the_default_refuses_everything() {
        let e = FakeVerifier::evidence(Tier::StrongBox, b"c", b"k");
        assert_eq!(FakeVerifier.verify(&e, b"c", b"k", 0), Ok(Tier::StrongBox));
        assert_eq!(FakeVerifier.verify(&e, b"other", b"k", 0), Err(Reason::AttestationRefused));
        assert_eq!(FakeVerifier.verify(&e, b"c", b"other key", 0), Err(Reason::AttestationRefused));
        let se = FakeVerifier::evidence(Tier::SecureEnclave, b"c", b"k");
        assert_eq!(FakeVerifier.verify(&se, b"c", b"k", 0), Ok(Tier::SecureEnclave));
        assert_eq!(RefuseEvidence.verify(&e, b"c", b"k", 0), Err(Reason::AttestationRefused));
        let junk = AttestationEvidence::Android { chain: vec![vec![0; 3]] };
        assert_eq!(FakeVerifier.verify(&junk, b"c", b"k", 0), Err(Reason::AttestationRefused));
    }
}
