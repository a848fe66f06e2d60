//! Verifying a batch's bundles before settlement, outside the database lock (crate::settle):
//! each decoded and checked with the phones' own `verify_bundle`, on all cores; the issuer's
//! own genesis notes are looked up (one statement) instead of verified again; a bundle refused
//! for a signer this node does not know yet is verified again once the signer's certificates
//! are read from the database (another node may have registered it).

use offline_cash_core::crypto::sha256;
use offline_cash_core::sync::auth;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::token::{
    Bundle, DecodeError, IssuedNotes, NoRevocations, Note, Rejection, VerifiedBundle, VerifyContext, WalletCertificate,
    WalletId, verify_bundle_issued,
};

use crate::issuer::Issuer;
use crate::store::{Notes as _, Store as _, Wallets as _};

/// A record decoded and verified outside the lock.
pub(crate) type Checked = Result<(Bundle, VerifiedBundle), Rejection>;

/// Genesis notes this issuer signed and holds: the digests of their bytes as signed. Their
/// issuer signature is not verified again; a note with the same id and other bytes (another
/// signature) is not among them and is verified like any other.
#[derive(Default)]
struct OwnNotes {
    digests: std::collections::HashSet<[u8; 32]>,
    /// How many notes the shortcut served (for the metrics).
    trusted: AtomicU64,
}

impl IssuedNotes for OwnNotes {
    fn holds(&self, note: &Note) -> bool {
        let held = !self.digests.is_empty() && self.digests.contains(&sha256(&[&note.to_bytes()]));
        if held {
            self.trusted.fetch_add(1, Ordering::Relaxed);
        }
        held
    }
}

/// One uploaded bundle, decoded.
fn decode(b64: &str) -> Result<Bundle, Rejection> {
    let bytes =
        auth::from_b64(b64).ok_or(Rejection::Malformed(DecodeError::InvalidField { offset: 0, field: "base64" }))?;
    Ok(Bundle::from_bytes(&bytes)?)
}

impl Issuer {
    /// Decodes and verifies one uploaded bundle with the settlement context.
    pub fn check_bundle(&self, b64: &str) -> Checked {
        let decoded = vec![decode(b64)];
        let own = self.own_notes(&decoded);
        let checked = decoded.into_iter().map(|b| self.verify_decoded(b, &own)).collect::<Vec<_>>();
        self.metrics.own_notes_trusted(own.trusted.load(Ordering::Relaxed));
        checked.into_iter().next().unwrap_or(Err(Rejection::Malformed(DecodeError::Truncated)))
    }

    /// The genesis notes among `bundles` that this issuer signed and holds byte for byte. A
    /// database error only costs the shortcut: every signature is then verified.
    fn own_notes(&self, bundles: &[Result<Bundle, Rejection>]) -> OwnNotes {
        let ids: Vec<[u8; 32]> = bundles.iter().flatten().flat_map(|b| b.notes.iter().map(|n| n.id().0)).collect();
        if ids.is_empty() {
            return OwnNotes::default();
        }
        match self.store.read(|tx| tx.genesis_digests(&ids)) {
            Ok(found) => OwnNotes {
                digests: found.into_iter().filter_map(|d| <[u8; 32]>::try_from(d.as_slice()).ok()).collect(),
                trusted: AtomicU64::new(0),
            },
            Err(e) => {
                tracing::warn!(error = %e, "own genesis notes not looked up; verifying every signature");
                OwnNotes::default()
            }
        }
    }

    /// Verifies one decoded bundle with the settlement context.
    fn verify_decoded(&self, bundle: Result<Bundle, Rejection>, own: &OwnNotes) -> Checked {
        let bundle = bundle?;
        let now = self.now();
        // A note expired less than the grace ago is verified as of its expiry.
        let first_expiry = bundle.notes.iter().map(|n| n.body().expires_at).min().unwrap_or(u64::MAX);
        let at = if now > first_expiry && now - first_expiry <= self.config.settlement_grace_secs {
            first_expiry
        } else {
            now
        };
        let certs = self.certs.read();
        let ctx = VerifyContext {
            trust: &self.trust,
            policy: self.policy.body(),
            revocations: &NoRevocations,
            known_certificates: &certs,
            now: at,
            max_clock_skew: self.config.max_clock_skew,
        };
        let verified = verify_bundle_issued(&bundle, &ctx, own)?;
        drop(certs);
        Ok((bundle, verified))
    }

    /// Decodes `items` on all cores, finds the issuer's own genesis notes among them (one
    /// lookup), and verifies them on all cores.
    pub(crate) fn check_all(&self, items: &[&str]) -> Vec<Checked> {
        let decoded = on_all_cores(items.to_vec(), decode);
        let own = self.own_notes(&decoded);
        let checked = on_all_cores(decoded, |b| self.verify_decoded(b, &own));
        let checked = self.recheck_unknown_signers(items, checked, &own);
        self.metrics.own_notes_trusted(own.trusted.load(Ordering::Relaxed));
        checked
    }

    /// Bundles refused for a signer without a certificate (valid at the link's time) are
    /// verified once more after that signer's certificates are read from the database. A node
    /// loads no certificate at start (decision 0027), so this is how it first meets a signer;
    /// another node over the same database may also have registered or renewed the wallet
    /// since. Nothing changes when the database holds nothing new.
    ///
    /// A refusal names the first unknown signer of its chain only, so this goes round until no
    /// certificate is new: at most once per signer of the longest chain.
    fn recheck_unknown_signers(&self, items: &[&str], mut checked: Vec<Checked>, own: &OwnNotes) -> Vec<Checked> {
        loop {
            let missing: std::collections::BTreeSet<WalletId> = checked
                .iter()
                .filter_map(|c| match c {
                    Err(Rejection::UnknownCertificate { wallet }) => Some(*wallet),
                    _ => None,
                })
                .collect();
            if missing.is_empty() || self.load_certificates(&missing) == 0 {
                return checked;
            }
            for (item, slot) in items.iter().zip(checked.iter_mut()) {
                if matches!(slot, Err(Rejection::UnknownCertificate { .. })) {
                    *slot = self.verify_decoded(decode(item), own);
                }
            }
        }
    }

    /// Reads the certificates of `wallets` from the database into this node's cache; how many
    /// it did not hold yet.
    fn load_certificates(&self, wallets: &std::collections::BTreeSet<WalletId>) -> usize {
        let rows = self.store.read(|tx| {
            let mut rows = Vec::new();
            for wallet in wallets {
                rows.extend(tx.certificates_of(&wallet.0)?);
            }
            Ok(rows)
        });
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "certificates of unknown signers not read");
                return 0;
            }
        };
        self.cache_certificates(rows)
    }

    /// Puts the certificates `rows` (as stored) that decode and verify into this node's cache;
    /// how many it did not hold yet.
    pub(crate) fn cache_certificates(&self, rows: Vec<Vec<u8>>) -> usize {
        let mut certs = self.certs.write();
        let before = certs.len();
        for row in rows {
            if let Ok(cert) = WalletCertificate::from_bytes(&row) {
                let _ = certs.insert(cert, &self.trust);
            }
        }
        certs.len() - before
    }
}

/// `f` applied to every item, in order, with the items shared out in one consecutive part per
/// core (up to 8). A part whose worker panicked comes back as refusals, so results stay aligned
/// with the records.
fn on_all_cores<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Result<R, Rejection> + Sync,
) -> Vec<Result<R, Rejection>> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    if items.len() < 8 || threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let part: Vec<T> = rest.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| (part.len(), scope.spawn(move || part.into_iter().map(f).collect::<Vec<_>>())))
            .collect();
        handles
            .into_iter()
            .flat_map(|(len, h)| {
                h.join()
                    .unwrap_or_else(|_| (0..len).map(|_| Err(Rejection::Malformed(DecodeError::Truncated))).collect())
            })
            .collect()
    })
}
