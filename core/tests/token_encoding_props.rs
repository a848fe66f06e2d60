//! Properties of the canonical encoding of every token object.
//!
//! ```text
//!  random body ─► Signed::from_parts(body, pooled signature) ─► to_bytes ─► from_bytes ─► to_bytes
//!                                                                   (byte-identical, same id)
//!  random / mutated bytes ─► from_bytes ─► Err(typed)  or  Ok(x) with x.to_bytes() == input
//! ```
//!
//! Signing is slow for ML-DSA, so keys and signatures are made once (lazily) and shared; the
//! properties here concern encoding, not signature validity, so a body is paired with any
//! signature through `Signed::from_parts`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashSet;
use std::sync::OnceLock;

use offline_cash_core::crypto::{PublicKey, Signature, Signer as _, SoftwareSigner, Suite};
use offline_cash_core::token::{
    Body, Bundle, CertificateBody, Currency, DecodeError, IssuerKey, LinkBody, LinkId, Note, NoteBody, NoteId,
    ObjectKind, Output, Policy, PolicyBody, RevocationBody, RevocationList, Signed, SpendLink, Tier, TierLimits,
    WalletCertificate, WalletId, body_digest,
};
use proptest::prelude::*;
use proptest::sample::Index;

// ---------------------------------------------------------------------------------------------
// Shared keys and signatures (made once).

struct Pool {
    /// Three keys per suite, in suite order.
    keys: Vec<PublicKey>,
    /// Two signatures per suite, in suite order.
    signatures: Vec<Signature>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut keys = Vec::new();
        let mut signatures = Vec::new();
        for suite in Suite::ALL {
            for i in 0u8..3 {
                let signer = SoftwareSigner::generate(suite).unwrap();
                keys.push(signer.public_key());
                if i < 2 {
                    signatures.push(signer.sign(&[i; 40]).unwrap());
                }
            }
        }
        Pool { keys, signatures }
    })
}

fn any_key() -> impl Strategy<Value = PublicKey> {
    (0..9usize).prop_map(|i| pool().keys[i].clone())
}

fn any_signature() -> impl Strategy<Value = Signature> {
    (0..6usize).prop_map(|i| pool().signatures[i].clone())
}

// ---------------------------------------------------------------------------------------------
// Field strategies.

/// Integers that exercise every CBOR head width (immediate, 1, 2, 4 and 8 bytes).
fn uint() -> impl Strategy<Value = u64> {
    prop_oneof![0..24u64, 24..256u64, 256..65_536u64, 65_536..(1u64 << 32), any::<u64>()]
}

fn uint32() -> impl Strategy<Value = u32> {
    prop_oneof![0..24u32, any::<u32>()]
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::array::uniform3(b'A'..=b'Z').prop_map(|c| Currency::new(std::str::from_utf8(&c).unwrap()).unwrap())
}

fn note_body() -> impl Strategy<Value = NoteBody> {
    (any::<[u8; 16]>(), currency(), uint(), any::<[u8; 32]>(), uint(), uint(), uint32()).prop_map(
        |(serial, currency, amount, owner, issued_at, expires_at, issuer_key_id)| NoteBody {
            serial,
            currency,
            amount,
            owner: WalletId(owner),
            issued_at,
            expires_at,
            issuer_key_id,
        },
    )
}

fn link_body() -> impl Strategy<Value = LinkBody> {
    let output = (any::<[u8; 32]>(), uint()).prop_map(|(owner, amount)| Output { owner: WalletId(owner), amount });
    (any::<[u8; 32]>(), prop::collection::vec(output, 1..=2), uint(), any::<[u8; 16]>(), uint()).prop_map(
        |(parent, outputs, counter, payee_nonce, time)| LinkBody {
            parent: NoteId(parent),
            outputs,
            counter,
            payee_nonce,
            time,
        },
    )
}

fn certificate_body() -> impl Strategy<Value = CertificateBody> {
    (
        any_key(),
        prop::collection::vec(any::<u8>(), 0..=64),
        uint(),
        uint(),
        currency(),
        uint(),
        uint(),
        uint32(),
        prop::sample::select(Tier::ALL.to_vec()),
    )
        .prop_map(
            |(
                public_key,
                customer_ref,
                not_before,
                not_after,
                currency,
                per_payment_limit,
                holding_limit,
                key_id,
                tier,
            )| {
                CertificateBody {
                    public_key,
                    customer_ref,
                    not_before,
                    not_after,
                    currency,
                    per_payment_limit,
                    holding_limit,
                    issuer_key_id: key_id,
                    tier,
                }
            },
        )
}

fn policy_body() -> impl Strategy<Value = PolicyBody> {
    let tiers = prop::sample::subsequence(Tier::ALL.to_vec(), 0..=Tier::ALL.len());
    (uint32(), uint(), uint(), currency(), uint(), uint(), uint32(), uint(), uint32(), tiers).prop_map(
        |(issuer_key_id, sequence, issued_at, currency, ppl, holding, depth, validity, payments, tiers)| PolicyBody {
            issuer_key_id,
            sequence,
            issued_at,
            currency,
            per_payment_limit: ppl,
            offline_holding_limit: holding,
            max_chain_depth: depth,
            certificate_offline_validity: validity,
            max_offline_payments: payments,
            refresh: offline_cash_core::token::RefreshPolicy::default(),
            tier_limits: tiers
                .into_iter()
                .map(|tier| TierLimits { tier, per_payment: ppl / 2, holding, max_offline_payments: payments })
                .collect(),
        },
    )
}

fn revocation_body() -> impl Strategy<Value = RevocationBody> {
    (uint32(), uint(), uint(), prop::collection::vec(any::<[u8; 32]>(), 0..30)).prop_map(
        |(key_id, sequence, issued_at, ids)| {
            RevocationBody::new(key_id, sequence, issued_at, ids.into_iter().map(WalletId).collect())
        },
    )
}

fn issuer_key() -> impl Strategy<Value = IssuerKey> {
    (uint32(), any_key(), uint(), uint()).prop_map(|(key_id, public_key, not_before, not_after)| IssuerKey {
        key_id,
        public_key,
        not_before,
        not_after,
    })
}

fn signed<B: Body + std::fmt::Debug>(body: impl Strategy<Value = B>) -> impl Strategy<Value = Signed<B>> {
    (body, any_signature()).prop_map(|(body, sig)| Signed::from_parts(body, sig))
}

/// Keeps the first of every group of items with the same key (bundles refuse duplicates).
fn unique_by<T, K: std::hash::Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|item| seen.insert(key(item))).collect()
}

fn bundle() -> impl Strategy<Value = Bundle> {
    (
        prop::collection::vec(signed(certificate_body()), 0..3),
        prop::collection::vec(signed(note_body()), 0..3),
        prop::collection::vec(signed(link_body()), 0..4),
        prop::collection::vec(any::<[u8; 32]>(), 0..4),
    )
        .prop_map(|(certificates, notes, links, heads)| Bundle {
            certificates: unique_by(certificates, WalletCertificate::wallet_id),
            notes: unique_by(notes, Note::id),
            links: unique_by(links, SpendLink::id),
            heads: unique_by(heads.into_iter().map(NoteId).collect(), |h| *h),
        })
}

// ---------------------------------------------------------------------------------------------
// Round trips.

/// Encode → decode → encode is byte-identical, and the digest (the id) survives decoding,
/// equals the digest of the body alone, and does not depend on the signature.
fn assert_round_trip<B: Body + PartialEq + std::fmt::Debug>(obj: &Signed<B>) -> Result<(), TestCaseError> {
    let bytes = obj.to_bytes();
    let back = Signed::<B>::from_bytes(&bytes).map_err(|e| TestCaseError::fail(format!("decode: {e}")))?;
    prop_assert_eq!(back.to_bytes(), bytes);
    prop_assert_eq!(back.body(), obj.body());
    prop_assert_eq!(back.signature(), obj.signature());
    prop_assert_eq!(back.digest(), obj.digest());
    prop_assert_eq!(back.digest(), &body_digest(obj.body()));
    for other in &pool().signatures {
        let resigned = Signed::from_parts(obj.body().clone(), other.clone());
        prop_assert_eq!(resigned.digest(), obj.digest());
    }
    Ok(())
}

proptest! {
    #[test]
    fn note_round_trips(note in signed(note_body())) {
        assert_round_trip(&note)?;
        let back = Note::from_bytes(&note.to_bytes()).unwrap();
        prop_assert_eq!(back.id(), note.id());
        prop_assert_eq!(note.id(), NoteId(body_digest(note.body())));
    }

    #[test]
    fn link_round_trips(link in signed(link_body())) {
        assert_round_trip(&link)?;
        let back = SpendLink::from_bytes(&link.to_bytes()).unwrap();
        prop_assert_eq!(back.id(), link.id());
        prop_assert_eq!(link.id(), LinkId(body_digest(link.body())));
        let ids: Vec<NoteId> = back.children().map(|(id, _)| id).collect();
        let expected: Vec<NoteId> = link.children().map(|(id, _)| id).collect();
        prop_assert_eq!(ids, expected);
    }

    #[test]
    fn certificate_round_trips(cert in signed(certificate_body())) {
        assert_round_trip(&cert)?;
        let back = WalletCertificate::from_bytes(&cert.to_bytes()).unwrap();
        prop_assert_eq!(back.wallet_id(), cert.wallet_id());
        prop_assert_eq!(&back.body().public_key, &cert.body().public_key);
    }

    #[test]
    fn policy_round_trips(policy in signed(policy_body())) {
        assert_round_trip(&policy)?;
    }

    #[test]
    fn revocation_list_round_trips(list in signed(revocation_body())) {
        assert_round_trip(&list)?;
        let back = RevocationList::from_bytes(&list.to_bytes()).unwrap();
        for id in &list.body().revoked {
            prop_assert!(back.body().contains(id));
        }
    }

    #[test]
    fn issuer_key_round_trips(key in issuer_key()) {
        let bytes = key.to_bytes();
        let back = IssuerKey::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        prop_assert_eq!(back, key);
    }

    #[test]
    fn bundle_round_trips(bundle in bundle()) {
        let bytes = bundle.to_bytes();
        let back = Bundle::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes(), bytes);
        let ids = |b: &Bundle| (
            b.certificates.iter().map(WalletCertificate::wallet_id).collect::<Vec<_>>(),
            b.notes.iter().map(Note::id).collect::<Vec<_>>(),
            b.links.iter().map(SpendLink::id).collect::<Vec<_>>(),
        );
        prop_assert_eq!(ids(&back), ids(&bundle));
        prop_assert_eq!(back, bundle);
    }
}

// ---------------------------------------------------------------------------------------------
// Untrusted bytes: no panic, and success implies the one canonical encoding.

type Decode = fn(&[u8]) -> Result<Vec<u8>, DecodeError>;

/// Every decoder, each returning the re-encoding of what it decoded.
const DECODERS: [(&str, Decode); 7] = [
    ("note", |b| Note::from_bytes(b).map(|x| x.to_bytes())),
    ("link", |b| SpendLink::from_bytes(b).map(|x| x.to_bytes())),
    ("certificate", |b| WalletCertificate::from_bytes(b).map(|x| x.to_bytes())),
    ("policy", |b| Policy::from_bytes(b).map(|x| x.to_bytes())),
    ("revocation list", |b| RevocationList::from_bytes(b).map(|x| x.to_bytes())),
    ("issuer key", |b| IssuerKey::from_bytes(b).map(|x| x.to_bytes())),
    ("bundle", |b| Bundle::from_bytes(b).map(|x| x.to_bytes())),
];

fn assert_canonical_or_rejected(bytes: &[u8]) -> Result<(), TestCaseError> {
    for (name, decode) in DECODERS {
        if let Ok(again) = decode(bytes) {
            prop_assert_eq!(&again, bytes, "{} decoded from a non-canonical encoding", name);
        }
    }
    Ok(())
}

/// A valid encoding of any object type.
fn any_encoding() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        signed(note_body()).prop_map(|x| x.to_bytes()),
        signed(link_body()).prop_map(|x| x.to_bytes()),
        signed(certificate_body()).prop_map(|x| x.to_bytes()),
        signed(policy_body()).prop_map(|x| x.to_bytes()),
        signed(revocation_body()).prop_map(|x| x.to_bytes()),
        issuer_key().prop_map(|x| x.to_bytes()),
        bundle().prop_map(|x| x.to_bytes()),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(Index, u8),
    Insert(Index, u8),
    Remove(Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        if bytes.is_empty() {
            break;
        }
        match m {
            Mutation::Set(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Mutation::Insert(i, b) => bytes.insert(i.index(bytes.len() + 1), *b),
            Mutation::Remove(i) => {
                bytes.remove(i.index(bytes.len()));
            }
            Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        }
    }
    bytes
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        assert_canonical_or_rejected(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_behind_a_plausible_head_never_panic(
        head in prop::sample::select(vec![0x82u8, 0x85, 0x86, 0x88, 0x89, 0x8a, 0x9f, 0x98]),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut input = vec![head];
        input.extend_from_slice(&bytes);
        assert_canonical_or_rejected(&input)?;
    }

    #[test]
    fn mutated_encodings_never_panic_and_stay_canonical(
        bytes in any_encoding(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        assert_canonical_or_rejected(&apply(bytes, &mutations))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Specific rejections, for every object type.

/// One valid encoding of each type, and where its version item sits.
fn samples() -> Vec<(ObjectKind, Decode, Vec<u8>, usize)> {
    let sig = pool().signatures[0].clone();
    let key = pool().keys[0].clone();
    let eur = Currency::new("EUR").unwrap();
    let note = Note::from_parts(
        NoteBody {
            serial: [1; 16],
            currency: eur,
            amount: 500,
            owner: WalletId([2; 32]),
            issued_at: 1,
            expires_at: 2,
            issuer_key_id: 1,
        },
        sig.clone(),
    );
    let link = SpendLink::from_parts(
        LinkBody {
            parent: note.id(),
            outputs: vec![Output { owner: WalletId([3; 32]), amount: 500 }],
            counter: 1,
            payee_nonce: [4; 16],
            time: 1,
        },
        sig.clone(),
    );
    let cert = WalletCertificate::from_parts(
        CertificateBody {
            public_key: key.clone(),
            customer_ref: b"c".to_vec(),
            not_before: 0,
            not_after: 10,
            currency: eur,
            per_payment_limit: 5,
            holding_limit: 6,
            issuer_key_id: 1,
            tier: Tier::Software,
        },
        sig.clone(),
    );
    let policy = Policy::from_parts(
        PolicyBody {
            issuer_key_id: 1,
            sequence: 1,
            issued_at: 0,
            currency: eur,
            per_payment_limit: 1,
            offline_holding_limit: 2,
            max_chain_depth: 3,
            certificate_offline_validity: 4,
            max_offline_payments: 5,
            refresh: offline_cash_core::token::RefreshPolicy::default(),
            tier_limits: Vec::new(),
        },
        sig.clone(),
    );
    let list = RevocationList::from_parts(RevocationBody::new(1, 1, 0, vec![WalletId([5; 32])]), sig);
    let issuer = IssuerKey { key_id: 1, public_key: key, not_before: 0, not_after: 9 };
    let bundle = Bundle {
        certificates: vec![cert.clone()],
        notes: vec![note.clone()],
        links: vec![link.clone()],
        heads: vec![],
    };
    // Signed objects: [0x82, body array head, version, …]; issuer key and bundle: [head, version, …].
    vec![
        (ObjectKind::Note, DECODERS[0].1, note.to_bytes(), 2),
        (ObjectKind::Link, DECODERS[1].1, link.to_bytes(), 2),
        (ObjectKind::Certificate, DECODERS[2].1, cert.to_bytes(), 2),
        (ObjectKind::Policy, DECODERS[3].1, policy.to_bytes(), 2),
        (ObjectKind::RevocationList, DECODERS[4].1, list.to_bytes(), 2),
        (ObjectKind::IssuerKey, DECODERS[5].1, issuer.to_bytes(), 1),
        (ObjectKind::Bundle, DECODERS[6].1, bundle.to_bytes(), 1),
    ]
}

#[test]
fn samples_are_valid() {
    for (kind, decode, bytes, version_at) in samples() {
        assert_eq!(decode(&bytes).unwrap(), bytes, "{kind}");
        assert_eq!(bytes[version_at], 0x01, "{kind}: version item");
    }
}

#[test]
fn non_shortest_integer_head_is_non_canonical() {
    for (kind, decode, bytes, at) in samples() {
        // The version 1 written as a one-byte-argument integer: 0x18 0x01.
        let mut long = bytes.clone();
        long.splice(at..=at, [0x18, 0x01]);
        assert!(matches!(decode(&long), Err(DecodeError::NonCanonical { .. })), "{kind}: {:?}", decode(&long));
        // And as a two-byte argument.
        let mut longer = bytes.clone();
        longer.splice(at..=at, [0x19, 0x00, 0x01]);
        assert!(matches!(decode(&longer), Err(DecodeError::NonCanonical { .. })), "{kind}");
        // An array length (the outermost head) with a needless one-byte argument.
        let mut head = bytes.clone();
        let n = head[0] & 0x1f;
        head.splice(0..1, [0x98, n]);
        assert!(matches!(decode(&head), Err(DecodeError::NonCanonical { .. })), "{kind}: {:?}", decode(&head));
    }
}

#[test]
fn indefinite_length_is_non_canonical() {
    for (kind, decode, bytes, _) in samples() {
        let mut indefinite = bytes.clone();
        indefinite[0] = 0x9f; // array, indefinite length
        indefinite.push(0xff); // "break"
        assert_eq!(decode(&indefinite), Err(DecodeError::NonCanonical { offset: 0 }), "{kind}");
    }
    // An indefinite-length byte string in a field (the note's serial).
    let (_, decode, bytes, _) = samples().remove(0);
    let mut chunked = bytes[..3].to_vec();
    chunked.extend_from_slice(&[0x5f, 0x50]);
    chunked.extend_from_slice(&bytes[4..20]);
    chunked.push(0xff);
    chunked.extend_from_slice(&bytes[20..]);
    assert!(matches!(decode(&chunked), Err(DecodeError::NonCanonical { .. })), "{:?}", decode(&chunked));
}

#[test]
fn a_trailing_byte_is_rejected() {
    for (kind, decode, bytes, _) in samples() {
        for extra in [0x00u8, 0x01, 0xff] {
            let mut longer = bytes.clone();
            longer.push(extra);
            assert_eq!(decode(&longer), Err(DecodeError::TrailingBytes { offset: bytes.len() }), "{kind}");
        }
    }
}

#[test]
fn an_unknown_version_is_rejected() {
    for (kind, decode, bytes, at) in samples() {
        for version in [0u8, 2, 23] {
            let mut other = bytes.clone();
            other[at] = version;
            assert_eq!(
                decode(&other),
                Err(DecodeError::UnknownVersion { object: kind, found: u64::from(version) }),
                "{kind}"
            );
        }
    }
}

#[test]
fn truncation_at_every_length_is_a_typed_error() {
    for (kind, decode, bytes, _) in samples() {
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "{kind} truncated to {len} bytes decoded");
        }
    }
}

#[test]
fn oversize_inputs_are_refused_before_decoding() {
    let (_, decode, mut bytes, _) = samples().remove(0);
    bytes.resize(16 * 1024 + 1, 0);
    assert_eq!(decode(&bytes), Err(DecodeError::InputTooLarge { len: 16 * 1024 + 1, limit: 16 * 1024 }));
}

#[test]
fn duplicate_objects_in_a_bundle_are_refused() {
    let sig = pool().signatures[0].clone();
    let eur = Currency::new("EUR").unwrap();
    let note = Note::from_parts(
        NoteBody {
            serial: [1; 16],
            currency: eur,
            amount: 500,
            owner: WalletId([2; 32]),
            issued_at: 1,
            expires_at: 2,
            issuer_key_id: 1,
        },
        sig,
    );
    let twice = Bundle { notes: vec![note.clone(), note.clone()], ..Bundle::default() };
    assert_eq!(Bundle::from_bytes(&twice.to_bytes()), Err(DecodeError::Duplicate { object: ObjectKind::Note }));
    let heads = Bundle { notes: vec![note.clone()], heads: vec![note.id(), note.id()], ..Bundle::default() };
    assert_eq!(Bundle::from_bytes(&heads.to_bytes()), Err(DecodeError::Duplicate { object: ObjectKind::Note }));
}

#[test]
fn a_revocation_list_of_the_largest_allowed_size_round_trips() {
    // MAX_REVOKED ids must be decodable by wallets; one more is refused as too large.
    use offline_cash_core::token::MAX_REVOKED;
    let ids: Vec<WalletId> = (0..MAX_REVOKED as u32)
        .map(|i| {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&i.to_be_bytes());
            WalletId(id)
        })
        .collect();
    let sig = pool().signatures[4].clone(); // composite: the largest signature
    let list = RevocationList::from_parts(RevocationBody::new(1, 1, 0, ids.clone()), sig.clone());
    let bytes = list.to_bytes();
    let back = RevocationList::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.body().revoked.len(), MAX_REVOKED);

    let mut more = ids;
    more.push(WalletId([0xff; 32]));
    let over = RevocationList::from_parts(RevocationBody::new(1, 1, 0, more), sig);
    assert!(matches!(
        RevocationList::from_bytes(&over.to_bytes()),
        Err(DecodeError::TooLarge { limit: MAX_REVOKED, .. } | DecodeError::InputTooLarge { .. })
    ));
}
