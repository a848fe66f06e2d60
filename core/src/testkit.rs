//! Test support: a toy issuer and wallets that build valid objects and chains.
//!
//! Compiled only with the `test-support` feature (tests, benchmarks, the simulator). It signs
//! with software keys and makes no decisions a real issuer or wallet would: it is a way to
//! produce *valid* objects that tests then tamper with.

use crate::crypto::{CryptoError, Signer, SoftwareSigner, Suite};
use crate::token::{
    CertificateBody, CertificateStore, Chain, Currency, IssuerKey, LinkBody, NoRevocations, Note, NoteBody, Output,
    Policy, PolicyBody, RevocationBody, RevocationList, SpendLink, TrustStore, VerifyContext, WalletCertificate,
    WalletId, child_id,
};

/// Unix time used as "now" by fixtures: 2026-11-01T00:00:00Z.
pub const T0: u64 = 1_793_491_200;

/// The test currency.
pub fn eur() -> Currency {
    Currency::new("EUR").unwrap_or_else(|| unreachable!())
}

/// A toy issuer with one key.
#[derive(Debug)]
pub struct TestIssuer {
    /// The signing key.
    pub signer: SoftwareSigner,
    /// Its pinned form.
    pub key: IssuerKey,
    /// A signed default policy.
    pub policy: Policy,
    /// The instant every fixture of this issuer is built around (its "now").
    pub t0: u64,
    serial: std::cell::Cell<u64>,
}

impl TestIssuer {
    /// An issuer of `suite` whose fixtures are built around [`T0`]: key id 1 valid from a year
    /// before `T0` for eleven years.
    pub fn new(suite: Suite) -> Result<Self, CryptoError> {
        Self::at(suite, T0)
    }

    /// As [`Self::new`], with fixtures built around `t0` instead of [`T0`]. A test that drives
    /// code reading the real clock passes the real clock here, so that fixtures and the code
    /// under test agree on "now" whatever the date.
    pub fn at(suite: Suite, t0: u64) -> Result<Self, CryptoError> {
        Self::with_signer_at(SoftwareSigner::generate(suite)?, t0)
    }

    /// An issuer with the given key (e.g. [`SoftwareSigner::p256_from_scalar`] for a
    /// reproducible issuer in fuzz targets and generated corpora); otherwise as [`Self::new`].
    pub fn with_signer(signer: SoftwareSigner) -> Result<Self, CryptoError> {
        Self::with_signer_at(signer, T0)
    }

    /// An issuer with the given key and fixtures built around `t0`.
    pub fn with_signer_at(signer: SoftwareSigner, t0: u64) -> Result<Self, CryptoError> {
        let key = IssuerKey {
            key_id: 1,
            public_key: signer.public_key(),
            not_before: t0.saturating_sub(365 * 86_400),
            not_after: t0.saturating_add(3650 * 86_400),
        };
        let policy = Policy::sign(
            PolicyBody {
                issuer_key_id: 1,
                sequence: 1,
                issued_at: t0,
                currency: eur(),
                per_payment_limit: 50_000,
                offline_holding_limit: 200_000,
                max_chain_depth: 32,
                certificate_offline_validity: 30 * 86_400,
                max_offline_payments: 1_000,
                refresh: crate::token::RefreshPolicy::default(),
                tier_limits: Vec::new(),
            },
            &signer,
        )?;
        Ok(Self { signer, key, policy, t0, serial: std::cell::Cell::new(0) })
    }

    /// A trust store with this issuer's key.
    pub fn trust(&self) -> TrustStore {
        TrustStore::with_keys([self.key.clone()])
    }

    /// Certifies `wallet` for 30 days from a day before [`Self::t0`].
    pub fn certify(&self, wallet: &dyn Signer) -> Result<WalletCertificate, CryptoError> {
        self.certify_at(wallet, self.t0.saturating_sub(86_400), self.t0.saturating_add(30 * 86_400))
    }

    /// Certifies `wallet` for the window `not_before..=not_after` (a renewal, an expired one).
    pub fn certify_at(
        &self,
        wallet: &dyn Signer,
        not_before: u64,
        not_after: u64,
    ) -> Result<WalletCertificate, CryptoError> {
        self.certify_tier(wallet, not_before, not_after, crate::token::Tier::Software)
    }

    /// Certifies `wallet` at `tier` for the window `not_before..=not_after`.
    pub fn certify_tier(
        &self,
        wallet: &dyn Signer,
        not_before: u64,
        not_after: u64,
        tier: crate::token::Tier,
    ) -> Result<WalletCertificate, CryptoError> {
        WalletCertificate::sign(
            CertificateBody {
                public_key: wallet.public_key(),
                customer_ref: b"customer".to_vec(),
                not_before,
                not_after,
                currency: eur(),
                per_payment_limit: 50_000,
                holding_limit: 200_000,
                issuer_key_id: 1,
                tier,
            },
            &self.signer,
        )
    }

    /// Issues a note of `amount` to `owner`, issued an hour before [`Self::t0`], valid for a year.
    pub fn issue(&self, owner: WalletId, amount: u64) -> Result<Note, CryptoError> {
        let n = self.serial.get() + 1;
        self.serial.set(n);
        let mut serial = [0u8; 16];
        serial[..8].copy_from_slice(&n.to_be_bytes());
        Note::sign(
            NoteBody {
                serial,
                currency: eur(),
                amount,
                owner,
                issued_at: self.t0.saturating_sub(3600),
                expires_at: self.t0.saturating_add(365 * 86_400),
                issuer_key_id: 1,
            },
            &self.signer,
        )
    }

    /// A rotation signed by this issuer's key (id 1) at `issued_at`, introducing `new_key`
    /// and optionally ending a key.
    pub fn rotate_to(
        &self,
        new_key: IssuerKey,
        ends: Option<crate::token::KeyEnd>,
        issued_at: u64,
    ) -> Result<crate::token::KeyRotation, CryptoError> {
        let body = crate::token::KeyRotationBody { signer_key_id: self.key.key_id, issued_at, new_key, ends };
        crate::token::KeyRotation::sign(body, &self.signer)
    }

    /// A signed revocation list naming `wallets`.
    pub fn revoke(&self, wallets: Vec<WalletId>) -> Result<RevocationList, CryptoError> {
        RevocationList::sign(RevocationBody::new(1, 1, self.t0, wallets), &self.signer)
    }
}

/// A toy wallet: a software key and its certificate.
#[derive(Debug)]
pub struct TestWallet {
    /// The key.
    pub signer: SoftwareSigner,
    /// The certificate.
    pub cert: WalletCertificate,
    /// The time its links carry (its issuer's [`TestIssuer::t0`]).
    pub t0: u64,
    counter: std::cell::Cell<u64>,
}

impl TestWallet {
    /// A new wallet of `suite` certified by `issuer`.
    pub fn new(issuer: &TestIssuer, suite: Suite) -> Result<Self, CryptoError> {
        let signer = SoftwareSigner::generate(suite)?;
        let cert = issuer.certify(&signer)?;
        Ok(Self { signer, cert, t0: issuer.t0, counter: std::cell::Cell::new(0) })
    }

    /// The wallet id.
    pub fn id(&self) -> WalletId {
        self.cert.wallet_id()
    }

    /// Signs a link spending the head of `chain`: `amount` to `payee`, the rest back to self.
    /// Returns the payee's chain and, if any, the change chain.
    pub fn pay(
        &self,
        chain: &Chain,
        parent_amount: u64,
        payee: WalletId,
        amount: u64,
    ) -> Result<(Chain, Option<Chain>), CryptoError> {
        let mut outputs = vec![Output { owner: payee, amount }];
        if parent_amount > amount {
            outputs.push(Output { owner: self.id(), amount: parent_amount - amount });
        }
        let counter = self.counter.get() + 1;
        self.counter.set(counter);
        let link = SpendLink::sign(
            LinkBody { parent: chain.head, outputs, counter, payee_nonce: [7u8; 16], time: self.t0 },
            &self.signer,
        )?;
        let change = (parent_amount > amount).then(|| chain.extended(link.clone(), 1));
        Ok((chain.extended(link, 0), change))
    }
}

/// A complete verification setup around one issuer.
#[derive(Debug)]
pub struct Fixture {
    /// The issuer.
    pub issuer: TestIssuer,
    /// Its trust store.
    pub trust: TrustStore,
    /// Certificates the verifier holds (empty by default).
    pub known: CertificateStore,
}

impl Fixture {
    /// A fixture whose issuer uses `suite`, around [`T0`].
    pub fn new(suite: Suite) -> Result<Self, CryptoError> {
        Self::at(suite, T0)
    }

    /// A fixture whose issuer uses `suite`, around `t0`.
    pub fn at(suite: Suite, t0: u64) -> Result<Self, CryptoError> {
        let issuer = TestIssuer::at(suite, t0)?;
        let trust = issuer.trust();
        Ok(Self { issuer, trust, known: CertificateStore::new() })
    }

    /// A verification context at the issuer's `t0` with no revocations and 5 minutes of clock skew.
    pub fn context(&self) -> VerifyContext<'_> {
        VerifyContext {
            trust: &self.trust,
            policy: self.issuer.policy.body(),
            revocations: &NoRevocations,
            known_certificates: &self.known,
            now: self.issuer.t0,
            max_clock_skew: 300,
        }
    }

    /// `depth + 1` wallets of `suite` and a note of `amount` passed along all of them in full:
    /// returns the wallets and the last holder's chain.
    pub fn chain_of_depth(
        &self,
        suite: Suite,
        depth: usize,
        amount: u64,
    ) -> Result<(Vec<TestWallet>, Chain), CryptoError> {
        let wallets = (0..=depth).map(|_| TestWallet::new(&self.issuer, suite)).collect::<Result<Vec<_>, _>>()?;
        let first = wallets.first().map(TestWallet::id).unwrap_or(WalletId([0; 32]));
        let mut chain = Chain::genesis(self.issuer.issue(first, amount)?);
        for pair in wallets.windows(2) {
            if let [from, to] = pair {
                chain = from.pay(&chain, amount, to.id(), amount)?.0;
            }
        }
        Ok((wallets, chain))
    }
}

/// Certificates of every wallet in `wallets`.
pub fn certificates(wallets: &[TestWallet]) -> Vec<WalletCertificate> {
    wallets.iter().map(|w| w.cert.clone()).collect()
}

/// The id of output `index` of `link` (re-exported for tests).
pub fn output_id(link: &SpendLink, index: u8) -> crate::token::NoteId {
    child_id(&link.id(), index)
}

/// `bytes` in lowercase hex, 32 bytes a line: the layout of the vector files in docs/vectors.
pub fn hex_block(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2 + bytes.len() / 32);
    for (i, chunk) in bytes.chunks(32).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for b in chunk {
            let _ = write!(out, "{b:02x}");
        }
    }
    out
}
