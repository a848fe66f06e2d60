//! What the wallet is and whom it trusts: identity, certificate, issuer keys, policy,
//! revocation list, and the certificates of peers it has met.
//!
//! The store keeps these as given, in their canonical encodings; the caller verifies them
//! (issuer signatures, key match, rotations) before installing. Issuer keys are pinned once
//! ([`Store::set_issuer_keys`]) and afterwards only added to or shortened
//! ([`Store::merge_issuer_keys`]), never dropped. Policy and revocation list are installed
//! only if their sequence is not older than the one held; their limits are copied into columns
//! so the payment path reads them without decoding.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::crypto::{PublicKey, Suite};
use crate::token::{IssuerKey, Policy, RevocationList, TrustStore, WalletCertificate, WalletId};

/// Where the wallet's secret key lives.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyLocation {
    /// Wrapped by the app's key (see `crypto::KeyWrapper`); opaque bytes.
    Wrapped(Vec<u8>),
    /// In hardware (Android Keystore alias, Secure Enclave tag): a reference, not the key.
    Hardware(String),
}

impl std::fmt::Debug for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyLocation::Wrapped(w) => write!(f, "Wrapped({} bytes)", w.len()),
            KeyLocation::Hardware(r) => write!(f, "Hardware({r:?})"),
        }
    }
}

/// The wallet's own key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletIdentity {
    /// The public key (its suite is the wallet's suite).
    pub public_key: PublicKey,
    /// Where the secret key is.
    pub key: KeyLocation,
}

impl WalletIdentity {
    /// The wallet id.
    pub fn wallet_id(&self) -> WalletId {
        crate::token::wallet_id(&self.public_key)
    }
}

impl Store {
    /// Records the wallet's identity. Once set it cannot be replaced by another key (a
    /// different key is a different wallet: use a new database).
    pub fn set_identity(&mut self, identity: &WalletIdentity) -> Result<(), StoreError> {
        let (wrapped, hardware) = match &identity.key {
            KeyLocation::Wrapped(w) => (Some(w.as_slice()), None),
            KeyLocation::Hardware(r) => (None, Some(r.as_str())),
        };
        self.write(|tx| {
            let existing: Option<(u8, Vec<u8>)> = tx
                .query_row("SELECT suite, public_key FROM wallet WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match existing {
                Some((suite, key)) if suite == identity.public_key.suite().id() && key == identity.public_key.as_bytes() => {
                    tx.execute(
                        "UPDATE wallet SET wrapped_secret = ?1, hardware_key_ref = ?2 WHERE id = 1",
                        params![wrapped, hardware],
                    )?;
                }
                Some(_) => return Err(StoreError::IdentityMismatch),
                None => {
                    tx.execute(
                        "INSERT INTO wallet (id, suite, public_key, wrapped_secret, hardware_key_ref) VALUES (1, ?1, ?2, ?3, ?4)",
                        params![identity.public_key.suite().id(), identity.public_key.as_bytes(), wrapped, hardware],
                    )?;
                }
            }
            Ok(())
        })
    }

    /// The wallet's identity, if provisioned.
    pub fn identity(&self) -> Result<Option<WalletIdentity>, StoreError> {
        type Row = (u8, Vec<u8>, Option<Vec<u8>>, Option<String>);
        let row: Option<Row> = self
            .conn
            .query_row("SELECT suite, public_key, wrapped_secret, hardware_key_ref FROM wallet WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((suite, key, wrapped, hardware)) = row else { return Ok(None) };
        let public_key = PublicKey::from_bytes(Suite::from_id(u64::from(suite))?, &key)?;
        let key = match (wrapped, hardware) {
            (Some(w), None) => KeyLocation::Wrapped(w),
            (None, Some(h)) => KeyLocation::Hardware(h),
            _ => return Err(StoreError::Corrupt { detail: "wallet key location".into() }),
        };
        Ok(Some(WalletIdentity { public_key, key }))
    }

    /// Installs the wallet's certificate (issued or renewed at a sync) as the one in force, and
    /// adds it to the wallet's certificate history. It must certify the wallet's own key.
    pub fn set_certificate(&mut self, cert: &WalletCertificate) -> Result<(), StoreError> {
        let identity = self.identity()?.ok_or(StoreError::NotProvisioned { missing: "identity" })?;
        let body = cert.body();
        if body.public_key != identity.public_key {
            return Err(StoreError::CertificateMismatch);
        }
        self.write(|tx| {
            tx.execute(
                "UPDATE wallet SET certificate = ?1, cert_not_before = ?2, cert_not_after = ?3,
                        cert_per_payment = ?4, cert_holding = ?5 WHERE id = 1",
                params![cert.to_bytes(), body.not_before, body.not_after, body.per_payment_limit, body.holding_limit],
            )?;
            // The one it replaces stays in the history: links signed under it still verify.
            remember(tx, cert, body.not_before)?;
            Ok(())
        })
    }

    /// The wallet's certificate, if installed.
    pub fn certificate(&self) -> Result<Option<WalletCertificate>, StoreError> {
        self.blob("certificate")?.map(|b| WalletCertificate::from_bytes(&b).map_err(StoreError::from)).transpose()
    }

    /// Installs a policy unless an equal or newer sequence is installed
    /// ([`StoreError::Stale`] if older; the same sequence again is a no-op).
    pub fn set_policy(&mut self, policy: &Policy) -> Result<(), StoreError> {
        let body = policy.body();
        self.write(|tx| {
            let current: Option<Option<u64>> =
                tx.query_row("SELECT policy_sequence FROM wallet WHERE id = 1", [], |r| r.get(0)).optional()?;
            let Some(current) = current else { return Err(StoreError::NotProvisioned { missing: "identity" }) };
            match current {
                Some(c) if body.sequence < c => {
                    return Err(StoreError::Stale { object: "policy", current: c, offered: body.sequence });
                }
                Some(c) if body.sequence == c => return Ok(()),
                _ => {}
            }
            tx.execute(
                "UPDATE wallet SET policy = ?1, policy_sequence = ?2, policy_per_payment = ?3, policy_holding = ?4,
                        policy_max_offline_payments = ?5 WHERE id = 1",
                params![
                    policy.to_bytes(),
                    body.sequence,
                    body.per_payment_limit,
                    body.offline_holding_limit,
                    body.max_offline_payments
                ],
            )?;
            Ok(())
        })
    }

    /// The installed policy, if any.
    pub fn policy(&self) -> Result<Option<Policy>, StoreError> {
        self.blob("policy")?.map(|b| Policy::from_bytes(&b).map_err(StoreError::from)).transpose()
    }

    /// Installs a revocation list unless a newer one is installed (same rule as policies).
    pub fn set_revocation_list(&mut self, list: &RevocationList) -> Result<(), StoreError> {
        let sequence = list.body().sequence;
        self.write(|tx| {
            let current: Option<Option<u64>> =
                tx.query_row("SELECT revocation_sequence FROM wallet WHERE id = 1", [], |r| r.get(0)).optional()?;
            let Some(current) = current else { return Err(StoreError::NotProvisioned { missing: "identity" }) };
            if let Some(c) = current {
                if sequence < c {
                    return Err(StoreError::Stale { object: "revocation list", current: c, offered: sequence });
                }
            }
            tx.execute(
                "UPDATE wallet SET revocation_list = ?1, revocation_sequence = ?2 WHERE id = 1",
                params![list.to_bytes(), sequence],
            )?;
            Ok(())
        })
    }

    /// The installed revocation list, if any.
    pub fn revocation_list(&self) -> Result<Option<RevocationList>, StoreError> {
        let Some(bytes) = self.blob("revocation_list")? else { return Ok(None) };
        let mut dec = crate::cbor::Decoder::new(&bytes);
        let list = RevocationList::decode_from(&mut dec)?;
        dec.finish()?;
        Ok(Some(list))
    }

    fn blob(&self, column: &'static str) -> Result<Option<Vec<u8>>, StoreError> {
        let v: Option<Option<Vec<u8>>> =
            self.conn.query_row(&format!("SELECT {column} FROM wallet WHERE id = 1"), [], |r| r.get(0)).optional()?;
        Ok(v.flatten())
    }

    /// Pins the issuer keys at provisioning, replacing any pinned before: the app's
    /// out-of-band install, or the first fetch at registration (trust on first use, see
    /// docs/THREAT_MODEL.md). Never called with what a sync answer says: later keys arrive
    /// only through [`Store::merge_issuer_keys`] after a rotation verified.
    pub fn set_issuer_keys(&mut self, keys: &[IssuerKey]) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute("DELETE FROM issuer_keys", [])?;
            for key in keys {
                tx.execute(
                    "INSERT INTO issuer_keys (key_id, key) VALUES (?1, ?2)",
                    params![key.key_id, key.to_bytes()],
                )?;
            }
            Ok(())
        })
    }

    /// Adds issuer keys the caller has verified (through a rotation chain back to a pinned
    /// key), in one transaction. Never removes a key: a key absent from `keys` stays. A key
    /// already trusted with the same public key and start keeps its id and only ever has its
    /// end moved earlier (a rotation that ends it); one with another public key or start is
    /// [`StoreError::IssuerKeyConflict`] and nothing is written.
    pub fn merge_issuer_keys(&mut self, keys: &[IssuerKey]) -> Result<(), StoreError> {
        self.write(|tx| {
            for key in keys {
                let current: Option<Vec<u8>> = tx
                    .query_row("SELECT key FROM issuer_keys WHERE key_id = ?1", [key.key_id], |r| r.get(0))
                    .optional()?;
                match current.map(|b| IssuerKey::from_bytes(&b)).transpose()? {
                    None => {
                        tx.execute(
                            "INSERT INTO issuer_keys (key_id, key) VALUES (?1, ?2)",
                            params![key.key_id, key.to_bytes()],
                        )?;
                    }
                    Some(cur) if cur.public_key != key.public_key || cur.not_before != key.not_before => {
                        return Err(StoreError::IssuerKeyConflict { key_id: key.key_id });
                    }
                    Some(cur) if key.not_after < cur.not_after => {
                        tx.execute(
                            "UPDATE issuer_keys SET key = ?2 WHERE key_id = ?1",
                            params![key.key_id, key.to_bytes()],
                        )?;
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })
    }

    /// The trusted issuer keys.
    pub fn trust_store(&self) -> Result<TrustStore, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare("SELECT key FROM issuer_keys ORDER BY key_id")?;
            let keys: Vec<Vec<u8>> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let keys = keys.iter().map(|k| IssuerKey::from_bytes(k)).collect::<Result<Vec<_>, _>>()?;
            Ok(TrustStore::with_keys(keys))
        })
    }

    /// Remembers a certificate (already verified by the caller): a peer's, or a renewal of
    /// its own. Every certificate of a wallet is kept (its history), so later bundles can omit
    /// those the receiver holds and links signed under an older one still verify.
    pub fn remember_peer(&mut self, cert: &WalletCertificate, now: u64) -> Result<(), StoreError> {
        self.write(|tx| remember(tx, cert, now))
    }

    /// The stored certificate of `peer` that started last, if any was seen.
    pub fn peer_certificate(&self, peer: &WalletId) -> Result<Option<WalletCertificate>, StoreError> {
        Ok(self.certificates_of(peer)?.into_iter().max_by_key(|c| c.body().not_before))
    }

    /// Every stored certificate of `wallet` (its history, own or peer), oldest first.
    pub fn certificates_of(&self, wallet: &WalletId) -> Result<Vec<WalletCertificate>, StoreError> {
        let mut certs = self.read(|tx| {
            let mut stmt = tx.prepare("SELECT certificate FROM certificates WHERE wallet_id = ?1")?;
            let rows: Vec<Vec<u8>> = stmt.query_map([wallet.0.as_slice()], |r| r.get(0))?.collect::<Result<_, _>>()?;
            rows.iter()
                .map(|b| WalletCertificate::from_bytes(b).map_err(StoreError::from))
                .collect::<Result<Vec<_>, _>>()
        })?;
        certs.sort_by_key(|c| c.body().not_before);
        Ok(certs)
    }

    /// Every stored certificate (each renewal counts), most recently seen first, at most `limit`.
    pub fn peer_certificates(&self, limit: u32) -> Result<Vec<WalletCertificate>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare("SELECT certificate FROM certificates ORDER BY last_seen DESC LIMIT ?1")?;
            let rows: Vec<Vec<u8>> = stmt.query_map([limit], |r| r.get(0))?.collect::<Result<_, _>>()?;
            rows.iter().map(|b| WalletCertificate::from_bytes(b).map_err(StoreError::from)).collect()
        })
    }
}

fn remember(tx: &rusqlite::Transaction<'_>, cert: &WalletCertificate, now: u64) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO certificates (wallet_id, certificate, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (wallet_id, certificate) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)",
        params![cert.wallet_id().0.as_slice(), cert.to_bytes(), now],
    )?;
    Ok(())
}
