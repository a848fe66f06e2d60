//! The issuer's signing keys: the first key, every rotation since, and the one that signs now.
//!
//! ```text
//!  meta.issuer_p256_scalar (key 1) ──► rotation 1→2 (signed by 1) ──► rotation 2→3 (signed by 2)
//!  issuer_key_rotations: key_id, scalar, rotation      the highest key_id signs new objects
//! ```
//!
//! [`rotate_key`] is an administrator's offline operation (`offline-cash-issuer rotate-key`,
//! with the server stopped): it creates the next key, signs a rotation with the current one,
//! and stores both in one transaction. The new key is *announced before it is used*: it
//! becomes valid `activate_after_secs` after the rotation (by default longer than a
//! certificate's offline validity), and the current key keeps signing until then and ends
//! `retire_after_secs` after it. The issuer serves the whole rotation chain in
//! `GET /v1/issuer-keys` and every sync answer at once, so every wallet that can still pay
//! (its certificate is valid, so it synced within one certificate window) knows the new key
//! before anything signed under it reaches it: no payer is stranded offline by a payee
//! renewed under the new key. `activate_after_secs = 0` is the emergency rotation (a
//! compromised key): the new key signs at once, and a wallet that has not synced since
//! refuses what is signed under it until it syncs. The issuer picks, for every signature,
//! the newest key already valid ([`Keyring::active`]), so a running server switches by itself.
//! The reference issuer keeps scalars in its database, or with `--key-file` in a file shared by
//! its nodes ([`crate::key_file`]); a production issuer would keep them in an HSM behind the
//! same `Signer` trait.

use offline_cash_core::crypto::{Signer as _, SoftwareSigner};
use offline_cash_core::token::{IssuerKey, KeyEnd, KeyRotation, KeyRotationBody, TrustStore};
use zeroize::Zeroizing;

use crate::IssuerError;
use crate::key_file::KeyFile;
use crate::store::{Backend, Meta as _, Store, Tx};

/// How long a key is valid for signing from its creation (ten years).
pub const KEY_VALIDITY_SECS: u64 = 10 * 365 * 86_400;

/// The keys of an issuer, loaded from its database.
pub(crate) struct Keyring {
    /// Every key with its signer, oldest first (public forms with the ends applied).
    pub signers: Vec<(SoftwareSigner, IssuerKey)>,
    /// Every key (the first, and each one a rotation introduced), with ends applied.
    pub trust: TrustStore,
    /// The rotation chain, oldest first.
    pub rotations: Vec<KeyRotation>,
    /// When the database (and key 1) was created.
    pub created: u64,
}

fn internal(what: &str) -> IssuerError {
    IssuerError::Internal { what: what.into() }
}

use crate::key_file::fresh_scalar;

fn signer_of(scalar: &[u8]) -> Result<SoftwareSigner, IssuerError> {
    // Every copy of the scalar is wiped when dropped.
    let scalar: Zeroizing<[u8; 32]> = Zeroizing::new(scalar.try_into().map_err(|_| internal("bad stored issuer key"))?);
    Ok(SoftwareSigner::p256_from_scalar(&scalar)?)
}

fn meta_get(tx: &mut dyn Tx, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>, IssuerError> {
    Ok(tx.meta_get(key)?.map(Zeroizing::new))
}

/// Loads the keys, creating key 1 on first start (inside the caller's transaction). With a
/// key file the scalars come from it (the database holds none, or the same key 1: a database
/// whose key 1 is another key is refused rather than served under two identities).
pub(crate) fn load_or_create(tx: &mut dyn Tx, now: u64, file: Option<&KeyFile>) -> Result<Keyring, IssuerError> {
    let stored = meta_get(tx, "issuer_p256_scalar")?;
    let scalar = match (file, stored) {
        (Some(file), stored) => {
            let first = file.get(1).ok_or_else(|| internal("the key file holds no key 1"))?;
            if stored.as_ref().is_some_and(|s| s.as_slice() != first.as_slice()) {
                return Err(IssuerError::Conflict {
                    what: "the database belongs to another issuer key 1 than the key file's".into(),
                });
            }
            if meta_get(tx, "created_at")?.is_none() {
                tx.meta_put("created_at", &now.to_be_bytes())?;
            }
            Zeroizing::new(first.to_vec())
        }
        (None, Some(s)) => s,
        (None, None) => {
            let s = fresh_scalar();
            tx.meta_put("issuer_p256_scalar", &s[..])?;
            tx.meta_put("created_at", &now.to_be_bytes())?;
            Zeroizing::new(s.to_vec())
        }
    };
    let signer = signer_of(&scalar)?;
    // The database remembers whose it is: key 1's public key. Another key file (or a scalar
    // that differs) is refused rather than served under two identities.
    let public = signer.public_key();
    match tx.meta_get("issuer_key_1_public")? {
        Some(p) if p != public.as_bytes() => {
            return Err(IssuerError::Conflict {
                what: "the database belongs to another issuer key 1 than the one given".into(),
            });
        }
        Some(_) => {}
        None => tx.meta_put("issuer_key_1_public", public.as_bytes())?,
    }
    let created = meta_get(tx, "created_at")?
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(now);
    let first = IssuerKey {
        key_id: 1,
        public_key: signer.public_key(),
        not_before: created.saturating_sub(86_400),
        not_after: created.saturating_add(KEY_VALIDITY_SECS),
    };
    let mut trust = TrustStore::with_keys([first]);
    let mut rotations = Vec::new();
    let mut signers = vec![(signer, 1u32)];
    for (scalar, bytes) in tx.key_rotations()? {
        let rotation = KeyRotation::from_bytes(&bytes).map_err(|_| internal("stored key rotation does not decode"))?;
        // An empty scalar: the key is in the key file.
        let scalar = match (scalar.is_empty(), file) {
            (false, _) => Zeroizing::new(scalar),
            (true, Some(file)) => Zeroizing::new(
                file.get(rotation.body().new_key.key_id)
                    .ok_or_else(|| internal("a rotated key is missing from the key file"))?
                    .to_vec(),
            ),
            (true, None) => return Err(internal("a rotated key lives in a key file: start with --key-file")),
        };
        // The issuer checks its own chain as a wallet will (the clock bound is not ours to
        // apply here: a rotation stored is one this issuer made).
        trust.apply_rotation(&rotation, u64::MAX, 0).map_err(|e| internal(&format!("stored key rotation: {e}")))?;
        let next = signer_of(&scalar)?;
        if next.public_key() != rotation.body().new_key.public_key {
            return Err(internal("stored rotation scalar does not match its key"));
        }
        signers.push((next, rotation.body().new_key.key_id));
        rotations.push(rotation);
    }
    let signers = signers
        .into_iter()
        .map(|(s, id)| Ok((s, trust.get(id).cloned().ok_or_else(|| internal("issuer key missing"))?)))
        .collect::<Result<Vec<_>, IssuerError>>()?;
    Ok(Keyring { signers, trust, rotations, created })
}

impl Keyring {
    /// The key that signs at `now`: the newest one already valid (a pre-announced key waits
    /// for its `not_before`; before any is valid, the first).
    pub fn active(&self, now: u64) -> (&SoftwareSigner, &IssuerKey) {
        let mut found = None;
        for (signer, key) in &self.signers {
            if key.not_before <= now || found.is_none() {
                found = Some((signer, key));
            }
        }
        // `signers` always holds key 1.
        found.unwrap_or_else(|| unreachable!("a keyring always holds its first key"))
    }
}

/// When a rotation takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationTimes {
    /// Seconds from the rotation until the new key signs (0: at once, an emergency rotation).
    /// Set it above the certificates' offline validity plus the allowed clock skew, so every
    /// wallet that can still pay has synced and learnt the key before it is used.
    pub activate_after_secs: u64,
    /// Seconds the current key may still sign after the new one is active.
    pub retire_after_secs: u64,
}

/// Creates the issuer's next key in the database at `db_path` and signs its rotation with the
/// newest key at `now`. The new key is valid from `now + times.activate_after_secs` (or from
/// now, less a day of clock skew, for an emergency rotation), and the key that signs the
/// rotation ends `times.retire_after_secs` after that (never later than its own end). Run with
/// the server stopped: the rotation is served from the next start. Returns the new key.
pub fn rotate_key(db_path: &std::path::Path, now: u64, times: RotationTimes) -> Result<IssuerKey, IssuerError> {
    rotate_key_in(&Backend::open(db_path, None)?, now, times)
}

/// [`rotate_key`] in the database of `store` (a SQLite file or PostgreSQL).
pub fn rotate_key_in(store: &impl Store, now: u64, times: RotationTimes) -> Result<IssuerKey, IssuerError> {
    let scalar = fresh_scalar();
    store.write(|tx| rotate_in(tx, None, &scalar, now, times))
}

/// [`rotate_key_in`] for an issuer whose keys are in `file`: the new key is added to the file
/// (before the rotation is committed: a failed rotation leaves an unused key in the file, never
/// a rotation without its key), the database gets the rotation only. Every node needs the new
/// file before it restarts.
pub fn rotate_key_with_file(
    store: &impl Store,
    file: &mut KeyFile,
    now: u64,
    times: RotationTimes,
) -> Result<IssuerKey, IssuerError> {
    let scalar = fresh_scalar();
    store.write(|tx| rotate_in(tx, Some(&mut *file), &scalar, now, times))
}

fn rotate_in(
    tx: &mut dyn Tx,
    file: Option<&mut KeyFile>,
    scalar: &[u8; 32],
    now: u64,
    times: RotationTimes,
) -> Result<IssuerKey, IssuerError> {
    let ring = load_or_create(tx, now, file.as_deref())?;
    let (signer, current) = ring.signers.last().ok_or_else(|| internal("no issuer key"))?;
    if current.not_before > now {
        // Its rotation would be signed by a key not valid yet: wallets would refuse it.
        return Err(IssuerError::Conflict {
            what: format!(
                "issuer key {} is announced and signs from {}: rotate after that",
                current.key_id, current.not_before
            ),
        });
    }
    let activation = now.saturating_add(times.activate_after_secs);
    let next = SoftwareSigner::p256_from_scalar(scalar)?;
    let key_id = current.key_id.checked_add(1).ok_or_else(|| internal("issuer key ids exhausted"))?;
    let not_before = if times.activate_after_secs == 0 { now.saturating_sub(86_400) } else { activation };
    let new_key = IssuerKey {
        key_id,
        public_key: next.public_key(),
        not_before,
        not_after: activation.saturating_add(KEY_VALIDITY_SECS),
    };
    let end = activation.saturating_add(times.retire_after_secs).min(current.not_after);
    let body = KeyRotationBody {
        signer_key_id: current.key_id,
        issued_at: now,
        new_key: new_key.clone(),
        ends: Some(KeyEnd { key_id: current.key_id, not_after: end }),
    };
    let rotation = KeyRotation::sign(body, signer)?;
    // What a wallet will do with it must succeed here first.
    let mut trust = ring.trust.clone();
    trust.apply_rotation(&rotation, now, 0).map_err(|e| internal(&format!("new rotation: {e}")))?;
    let stored_scalar: &[u8] = match file {
        Some(file) => {
            file.put(key_id, scalar)?;
            &[]
        }
        None => &scalar[..],
    };
    tx.add_key_rotation(i64::from(key_id), stored_scalar, &rotation.to_bytes(), crate::issuer::to_i64(now)?)?;
    Ok(new_key)
}
