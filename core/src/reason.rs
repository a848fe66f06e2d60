//! One reason type for every refusal, end to end.
//!
//! A refusal has exactly one [`Reason`]: the wallet that refuses a payment, the NFC status word
//! `9Axx` that carries it over the air, the error frame of the file transport, the FFI error the
//! app sees, and the issuer's HTTP error bodies and settlement results all name it with the same
//! variant. Each error type of core and of the issuer has one `From` conversion into it, so a new
//! error variant cannot reach the wire without a reason being chosen for it. Human-readable text
//! travels beside it and is for people only.
//!
//! The byte values are stable wire codes (PROTOCOL.md §6): 1–31 a chain of custody, 32–47 a
//! payment exchange, 48–63 an offline limit, 64–95 an issuer answer, 96–111 a settlement result,
//! 112–127 a key attestation refused at registration.
//! 0 is a reason this version does not know (a newer peer's); it is never sent.

/// Defines [`Reason`] and its name table from one list, so no variant lacks a name.
macro_rules! reasons {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)*) => {
        /// Why something was refused.
        #[repr(u8)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $($(#[$doc])* $variant = $code,)*
        }

        /// Every reason with its stable name, in code order.
        const ALL: &[(Reason, &str)] = &[$((Reason::$variant, $name),)*];
    };
}

reasons! {
    /// A code or name this version does not know (sent by a newer peer).
    Unknown = 0, "unknown";
    // --- The chain of custody (token verification).
    /// Bytes that are not a well-formed object.
    Malformed = 1, "malformed";
    /// Signed by an issuer key the verifier does not trust.
    Forged = 2, "forged";
    /// A signature does not match its content.
    Altered = 3, "altered";
    /// A note spent by a wallet that does not own it.
    WrongOwner = 4, "wrong_owner";
    /// A link spends a note that is not in the bundle.
    UnknownParent = 5, "unknown_parent";
    /// A link's outputs do not add up to the note it spends.
    AmountMismatch = 6, "amount_mismatch";
    /// A zero amount.
    ZeroAmount = 7, "zero_amount";
    /// A note, certificate or request past its expiry.
    Expired = 8, "expired";
    /// Dated after the time it is checked at (beyond the allowed skew).
    NotYetValid = 9, "not_yet_valid";
    /// A wallet on the revocation list.
    Revoked = 10, "revoked";
    /// A chain longer than the policy allows.
    TooDeep = 11, "too_deep";
    /// A note in another currency than expected.
    CurrencyMismatch = 12, "currency_mismatch";
    /// Two links in one bundle spend the same note.
    DoubleSpend = 13, "double_spend";
    /// A link signer without a certificate.
    UnknownCertificate = 14, "unknown_certificate";
    /// An object that no transferred note needs.
    Unreferenced = 15, "unreferenced";
    // --- A payment exchange.
    /// A payment addressed to another wallet.
    WrongPayee = 32, "wrong_payee";
    /// The payment does not add up to the requested amount.
    RequestedAmountMismatch = 33, "requested_amount_mismatch";
    /// A request this payee did not issue or already used, or one this payer already paid.
    Replayed = 34, "replayed";
    /// Links that do not answer this request.
    NotBoundToRequest = 35, "not_bound_to_request";
    /// Accepting it would exceed a limit of the receiving wallet.
    OverLimit = 36, "over_limit";
    /// This payee holds a different spend of one of these notes.
    DoubleSpendSeen = 37, "double_spend_seen";
    /// The counterparty's certificate is not acceptable.
    Certificate = 38, "certificate";
    /// A receipt that is not the payee's or not for this payment.
    BadReceipt = 39, "bad_receipt";
    /// A request in another currency than the wallet's.
    Currency = 40, "currency";
    /// The other wallet is busy with another exchange.
    Busy = 41, "busy";
    /// A payment to this payee for an earlier request awaits its receipt.
    PendingPayment = 42, "pending_payment";
    /// The request asks for more than the payer's user approved.
    NotApproved = 43, "not_approved";
    // --- The wallet's own offline limits.
    /// The largest single offline payment.
    LimitPerPayment = 48, "limit_per_payment";
    /// The largest offline balance.
    LimitHolding = 49, "limit_holding";
    /// The most offline payments between two syncs.
    LimitOfflinePayments = 50, "limit_offline_payments";
    /// The wallet's certificate expired: sync first.
    CertificateExpired = 51, "certificate_expired";
    /// The wallet's certificate is not valid yet (a clock behind).
    CertificateNotYetValid = 52, "certificate_not_yet_valid";
    // --- Tiers (registration with key attestation).
    /// Key attestation evidence that the issuer's verifier refused (or cannot check).
    AttestationRefused = 53, "attestation_refused";
    /// An attestation challenge that is unknown, expired, used, or of another registration.
    AttestationChallenge = 54, "attestation_challenge";
    // --- The issuer's answers (HTTP error bodies).
    /// A request signature that does not verify.
    BadSignature = 64, "bad_signature";
    /// A request timestamp outside the allowed window.
    StaleTimestamp = 65, "stale_timestamp";
    /// A request nonce already used.
    ReplayedNonce = 66, "replayed_nonce";
    /// A wallet the issuer does not know (or of another account).
    UnknownWallet = 67, "unknown_wallet";
    /// The account is revoked until an administrator reinstates it.
    AccountRevoked = 68, "account_revoked";
    /// No account has this reference.
    UnknownAccount = 69, "unknown_account";
    /// The account cannot pay.
    InsufficientBalance = 70, "insufficient_balance";
    /// A request that breaks the issuer's policy.
    Policy = 71, "policy";
    /// Something that already exists, or a reused idempotency key.
    Conflict = 72, "conflict";
    /// Too many requests: retry later.
    RateLimited = 73, "rate_limited";
    /// A body over the size limit.
    TooLarge = 74, "too_large";
    /// A missing or wrong credential or token.
    Unauthorized = 75, "unauthorized";
    /// The issuer's database failed.
    Storage = 76, "storage";
    /// Any other internal failure of the issuer.
    Internal = 77, "internal";
    /// The issuer's database is newer than its code.
    SchemaTooNew = 78, "schema_too_new";
    /// The issuer's signing failed.
    Crypto = 79, "crypto";
    /// No such HTTP route.
    NotFound = 80, "not_found";
    /// A method the route does not take.
    MethodNotAllowed = 81, "method_not_allowed";
    // --- Settlement results (one uploaded record).
    /// A record for a note the caller does not own.
    NotOwner = 96, "not_owner";
    /// A record for a note the issuer never recorded (e.g. a refused cheater's change).
    UnknownNote = 97, "unknown_note";
    /// The note was already spent.
    NoteSpent = 98, "note_spent";
    /// The note was already deposited.
    NoteDeposited = 99, "note_deposited";
    /// The note was already refreshed.
    NoteRefreshed = 100, "note_refreshed";
    /// The note expired and its value went back to its owner's account.
    NoteExpiredReturned = 101, "note_expired_returned";
    /// A refresh asking for amounts that are empty, zero, too many, or not the notes' total.
    BadAmounts = 102, "bad_amounts";
    // --- Key attestation at registration (issuer::attestation).
    /// A key attestation that is not well-formed (certificate, KeyDescription, CBOR, status list).
    AttestationMalformed = 112, "attestation_malformed";
    /// A key attestation in an algorithm or format this issuer does not take.
    AttestationUnsupported = 113, "attestation_unsupported";
    /// A key attestation chain of the wrong shape (empty, too long, names that do not chain, an attestation extension above the leaf).
    AttestationChain = 114, "attestation_chain";
    /// A key attestation certificate whose signature does not verify (forged or altered).
    AttestationSignature = 115, "attestation_signature";
    /// A key attestation chain that does not end at a pinned root (Google's or Apple's).
    AttestationUntrustedRoot = 116, "attestation_untrusted_root";
    /// A key attestation certificate not valid at the time of registration.
    AttestationValidity = 117, "attestation_validity";
    /// A key attestation certificate on the operator's revocation status list.
    AttestationRevoked = 118, "attestation_revoked";
    /// A key attestation for another challenge (replayed, or from another registration).
    AttestationReplayed = 119, "attestation_replayed";
    /// A key attestation of another key than the wallet key being registered.
    AttestationWrongKey = 120, "attestation_wrong_key";
    /// An attested key that is not a wallet key (purpose SIGN, EC P-256, generated in the device).
    AttestationKeyProperties = 121, "attestation_key_properties";
    /// A key attestation from an application that is not on the issuer's allow-list.
    AttestationApplication = 122, "attestation_application";
    /// An App Attest attestation whose counter is not 0 (not the key's first use).
    AttestationCounter = 123, "attestation_counter";
    /// The operator's attestation status list could not be read.
    AttestationStatusList = 124, "attestation_status_list";
}

impl Reason {
    /// The one-byte wire code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The reason with wire code `code` ([`Reason::Unknown`] for a code this version does not know).
    pub fn from_code(code: u8) -> Self {
        ALL.iter().find(|(r, _)| r.code() == code).map_or(Reason::Unknown, |(r, _)| *r)
    }

    /// The stable name (`snake_case`), as in error frames, HTTP bodies and logs.
    pub fn name(self) -> &'static str {
        ALL.iter().find(|(r, _)| *r == self).map_or("unknown", |(_, n)| n)
    }

    /// The reason named `name` ([`Reason::Unknown`] for a name this version does not know).
    pub fn from_name(name: &str) -> Self {
        ALL.iter().find(|(_, n)| *n == name).map_or(Reason::Unknown, |(r, _)| *r)
    }

    /// Every reason, in code order (the first is [`Reason::Unknown`]).
    pub fn all() -> impl Iterator<Item = Reason> {
        ALL.iter().map(|(r, _)| *r)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "sync")]
impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(feature = "sync")]
impl<'de> serde::Deserialize<'de> for Reason {
    /// A name this version does not know becomes [`Reason::Unknown`]: a newer issuer's new
    /// reason is still a refusal, never a decoding failure of the whole answer.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(Reason::from_name(&name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_through_its_code_and_its_name() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::all() {
            assert!(seen.insert(r.code()), "code {} used twice", r.code());
            assert_eq!(Reason::from_code(r.code()), r);
            assert_eq!(Reason::from_name(r.name()), r, "{}", r.name());
        }
        assert_eq!(seen.len(), ALL.len());
    }

    #[test]
    fn unknown_codes_and_names_are_unknown_not_a_guess() {
        assert_eq!(Reason::from_code(200), Reason::Unknown);
        assert_eq!(Reason::from_code(16), Reason::Unknown);
        assert_eq!(Reason::from_name("a_reason_from_the_future"), Reason::Unknown);
    }

    #[test]
    fn wire_codes_are_the_ones_protocol_md_lists() {
        // PROTOCOL.md §6: these values are on the air and in stored logs; they never change.
        assert_eq!(Reason::Malformed.code(), 1);
        assert_eq!(Reason::Revoked.code(), 10);
        assert_eq!(Reason::Unreferenced.code(), 15);
        assert_eq!(Reason::WrongPayee.code(), 32);
        assert_eq!(Reason::PendingPayment.code(), 42);
    }
}
