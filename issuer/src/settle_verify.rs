//! Verifying bundles for settlement: each decoded and checked with the phones' own
//! `verify_bundle`; the issuer's own genesis notes are looked up (one statement) instead of
//! verified again. A batch's bundles are verified on all cores while its transaction runs
//! (crate::settle_stream), which also verifies again a bundle refused for a signer this node
//! does not know yet, once the signer's certificates are read from the database (another node
//! may have registered it).

use offline_cash_core::crypto::sha256;
use offline_cash_core::sync::auth;
use std::sync::atomic::{AtomicU64, Ordering};

use offline_cash_core::token::{
    Bundle, DecodeError, IssuedNotes, NoRevocations, Note, Rejection, VerifiedBundle, VerifyContext, WalletCertificate,
    verify_bundle_issued,
};

use crate::issuer::Issuer;
use crate::store::{Notes as _, Store as _};

/// A record decoded and verified: its bundle and what verification found, or why it was refused.
pub(crate) type Checked = Result<(Bundle, VerifiedBundle), Rejection>;

/// Genesis notes this issuer signed and holds: the digests of their bytes as signed. Their
/// issuer signature is not verified again; a note with the same id and other bytes (another
/// signature) is not among them and is verified like any other.
#[derive(Default)]
pub(crate) struct OwnNotes {
    digests: std::collections::HashSet<[u8; 32]>,
    /// How many notes the shortcut served (for the metrics).
    pub(crate) trusted: AtomicU64,
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
pub(crate) fn decode(b64: &str) -> Result<Bundle, Rejection> {
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
    pub(crate) fn own_notes(&self, bundles: &[Result<Bundle, Rejection>]) -> OwnNotes {
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
    pub(crate) fn verify_decoded(&self, bundle: Result<Bundle, Rejection>, own: &OwnNotes) -> Checked {
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

/// Threads to share `items` items out to: one per core, up to 8; one for fewer than 8 items.
pub(crate) fn worker_threads(items: usize) -> usize {
    if items < 8 {
        return 1;
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8)
}

/// `f` applied to every item, in order, with the items shared out in one consecutive part per
/// core (up to 8). A part whose worker panicked comes back as refusals, so results stay aligned
/// with the records.
pub(crate) fn on_all_cores<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Result<R, Rejection> + Sync,
) -> Vec<Result<R, Rejection>> {
    let threads = worker_threads(items.len());
    if threads == 1 {
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
