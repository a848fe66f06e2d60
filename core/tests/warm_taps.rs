//! Warm taps: a reader payer and a card payee that met before send neither certificate (hello,
//! compact request), a cached certificate is re-checked at the tap's instant, old and new
//! peers still pay each other, and a payer that lost its cache still pays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, CardSession, FrameError, FrameHandler, ReaderConfig};
use offline_cash_core::protocol::{Frame, PaymentRejection};
use offline_cash_core::store::{KeyLocation, Store};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::token::{Rejection, WalletCertificate};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{
    CardHandler, FixedClock, Party, PayeeSession, ReaderDriver, ReaderStep, SeededEntropy, Wallet, WalletConfig,
    WalletError,
};

const AMOUNT: u64 = 100;

/// What crossed a fake transceiver during one tap (payee is the card, payer the reader,
/// extended APDUs so that a frame travels in one piece).
struct Recorded {
    /// Every command and response APDU, in order.
    apdus: Vec<Vec<u8>>,
    /// The payer's outcome.
    result: Result<(), WalletError>,
}

impl Recorded {
    fn bytes(&self) -> usize {
        self.apdus.iter().map(Vec::len).sum()
    }

    fn carries(&self, needle: &[u8]) -> bool {
        self.apdus.iter().any(|a| a.windows(needle.len()).any(|w| w == needle))
    }

    /// The frame types the reader sent (first byte of each EXCHANGE's data, CLA 80, INS 10).
    fn reader_frame_types(&self) -> Vec<u8> {
        self.apdus.iter().step_by(2).filter(|a| a.len() > 7 && a[0] == 0x80 && a[1] == 0x10).map(|a| a[7]).collect()
    }

    /// The frame types the card answered with (first byte of each response with data).
    fn card_frame_types(&self) -> Vec<u8> {
        self.apdus.iter().skip(1).step_by(2).skip(1).filter(|r| r.len() > 2).map(|r| r[0]).collect()
    }
}

fn card_tap(payer: &Wallet, request: PayeeSession, now: u64) -> Recorded {
    let clock = Arc::new(FixedClock(now));
    let card = CardHandler::session(Party::Payee(Box::new(request)), clock, CardConfig::extended());
    drive(payer, card, now)
}

fn drive<H: FrameHandler>(payer: &Wallet, card: CardSession<H>, now: u64) -> Recorded {
    drive_reader(Party::Payer(payer.pay()), card, now)
}

/// Runs `reader` (extended APDUs) against `card` until either side ends, recording every APDU.
fn drive_reader<H: FrameHandler>(reader: Party, mut card: CardSession<H>, now: u64) -> Recorded {
    let mut driver = ReaderDriver::new(reader, ReaderConfig::extended()).unwrap();
    let mut apdu = driver.start();
    let mut apdus = Vec::new();
    let result = loop {
        let response = card.process_apdu(&apdu);
        apdus.push(apdu.clone());
        apdus.push(response.clone());
        match driver.handle_response(&response, now) {
            Ok(ReaderStep::Transmit(next)) => apdu = next,
            Ok(ReaderStep::Done) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    Recorded { apdus, result }
}

fn tap(payer: &Wallet, payee: &Wallet, now: u64) -> Recorded {
    card_tap(payer, payee.request_payment(AMOUNT, now).unwrap(), now)
}

fn cert(w: &Wallet) -> WalletCertificate {
    w.with_store(|s| s.certificate()).unwrap().unwrap()
}

/// Two wallets of `suite`; the payer holds three notes of [`AMOUNT`].
fn pair(suite: Suite) -> (TestIssuer, Wallet, Wallet) {
    let issuer = TestIssuer::new(suite).unwrap();
    let payer = provisioned(&issuer, suite, 1).unwrap();
    let payee = provisioned(&issuer, suite, 2).unwrap();
    fund(&issuer, &payer, &[AMOUNT; 3], T0).unwrap();
    (issuer, payer, payee)
}

const COMPACT_REQUEST: u8 = 0x09;
const ONE_TIME_REQUEST: u8 = 0x0C;

/// The request a payee sends a payer it met: an ML-DSA-44 payee signs it with the one-time key
/// the payer holds the commitment of (decision 0022), any other with its wallet key.
fn warm_request(suite: Suite) -> u8 {
    if suite == Suite::MlDsa44 { ONE_TIME_REQUEST } else { COMPACT_REQUEST }
}
const REQUEST: u8 = 0x01;
const HELLO: u8 = 0x08;
const POLL: u8 = 0x00;

#[test]
fn a_warm_tap_sends_no_certificate() {
    for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
        let (_, payer, payee) = pair(suite);
        let (payer_cert, payee_cert) = (cert(&payer).to_bytes(), cert(&payee).to_bytes());
        let cold = tap(&payer, &payee, T0);
        cold.result.as_ref().unwrap();
        assert!(cold.carries(&payee_cert), "{suite:?}: a cold request carries the payee's certificate");
        assert_eq!(cold.card_frame_types()[0], REQUEST);
        let warm = tap(&payer, &payee, T0 + 60);
        warm.result.as_ref().unwrap();
        assert_eq!(warm.reader_frame_types()[0], HELLO, "{suite:?}");
        assert_eq!(warm.card_frame_types()[0], warm_request(suite), "{suite:?}");
        assert!(!warm.carries(&payee_cert), "{suite:?}: the payee's certificate crossed again");
        // The payment is sealed, so its certificate is counted rather than searched for: the
        // warm tap is smaller by both certificates, less the hello, the id and one more hint.
        assert!(
            warm.bytes() + payer_cert.len() + payee_cert.len() <= cold.bytes() + 80,
            "{suite:?}: warm {} B, cold {} B, certificates {} + {} B",
            warm.bytes(),
            cold.bytes(),
            payer_cert.len(),
            payee_cert.len()
        );
        assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
    }
}

#[test]
fn the_other_direction_is_warm_too() {
    // The payee of the first tap pays back: it holds the other's certificate from the payment,
    // and the other holds its own from the request.
    let (_, a, b) = pair(Suite::EcdsaP256);
    tap(&a, &b, T0).result.unwrap();
    let back = tap(&b, &a, T0 + 60);
    back.result.as_ref().unwrap();
    assert_eq!(back.card_frame_types()[0], COMPACT_REQUEST);
    assert!(!back.carries(&cert(&a).to_bytes()));
    assert_eq!(a.balance().unwrap().spendable, 3 * AMOUNT);
}

#[test]
fn a_renewed_payee_certificate_is_sent_in_full_and_trusted() {
    let (issuer, payer, payee) = pair(Suite::EcdsaP256);
    tap(&payer, &payee, T0).result.unwrap();
    let renewed = issuer.certify_at(payee.signer().as_ref(), T0 + 10, T0 + 60 * 86_400).unwrap();
    payee.install_certificate(renewed.clone()).unwrap();
    let after = tap(&payer, &payee, T0 + 60);
    after.result.as_ref().unwrap();
    assert_eq!(after.card_frame_types()[0], REQUEST, "the payer has never seen the renewal");
    assert!(after.carries(&renewed.to_bytes()));
    // Seen once, the renewal is sent by id from then on.
    let next = tap(&payer, &payee, T0 + 120);
    next.result.as_ref().unwrap();
    assert_eq!(next.card_frame_types()[0], COMPACT_REQUEST);
}

#[test]
fn a_revoked_payee_is_not_trusted_from_the_cache() {
    let (issuer, payer, payee) = pair(Suite::EcdsaP256);
    tap(&payer, &payee, T0).result.unwrap();
    payer.install_revocations(&issuer.revoke(vec![payee.id()]).unwrap()).unwrap();
    let refused = tap(&payer, &payee, T0 + 60);
    assert_eq!(refused.card_frame_types()[0], COMPACT_REQUEST);
    match refused.result {
        Err(WalletError::Rejected(PaymentRejection::Certificate(Rejection::Revoked { wallet }))) => {
            assert_eq!(wallet, payee.id());
        }
        other => panic!("expected the revoked payee to be refused, got {other:?}"),
    }
    assert_eq!(payer.balance().unwrap().spendable, 2 * AMOUNT, "nothing committed");
}

#[test]
fn a_cached_certificate_is_checked_at_the_taps_instant() {
    // The payee's certificate ends a day after T0; the payer's runs 30 days.
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let payee = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    let short = issuer.certify_at(payee.signer().as_ref(), T0 - 86_400, T0 + 86_400).unwrap();
    payee.install_certificate(short).unwrap();
    fund(&issuer, &payer, &[AMOUNT; 2], T0).unwrap();
    tap(&payer, &payee, T0).result.unwrap();
    // Two days later the payee (its clock set back, or lying) names the certificate by id.
    let later = T0 + 2 * 86_400;
    let request = payee.request_payment(AMOUNT, T0 + 60);
    let refused = card_tap(&payer, request.unwrap(), later);
    assert_eq!(refused.card_frame_types()[0], COMPACT_REQUEST);
    assert!(
        matches!(refused.result, Err(WalletError::Rejected(PaymentRejection::Certificate(Rejection::Expired { .. })))),
        "{:?}",
        refused.result
    );
}

#[test]
fn an_old_payer_that_polls_gets_the_full_version_2_request() {
    let (_, payer, payee) = pair(Suite::EcdsaP256);
    tap(&payer, &payee, T0).result.unwrap();
    // An old payer polls (it knows no hello): frames in and out, no NFC.
    let mut session = payee.request_payment(AMOUNT, T0 + 60).unwrap();
    let request = session.handle_frame(&Frame::Poll.encode(), T0 + 60).unwrap().unwrap();
    assert_eq!(request, session.request_frame());
    match Frame::decode(&request).unwrap() {
        Frame::Request(r) => assert_eq!(r.body().payee_certificate, cert(&payee)),
        other => panic!("expected a version-2 request, got {other:?}"),
    }
    let mut paying = payer.pay();
    let payment = paying.handle_frame(&request, T0 + 60).unwrap().unwrap();
    let receipt = session.handle_frame(&payment, T0 + 60).unwrap().unwrap();
    assert!(paying.handle_frame(&receipt, T0 + 60).unwrap().is_none());
    assert!(paying.is_complete());
}

/// A card of before the hello: it advertises no features and hands frames to the payee.
struct OldCard {
    payee: PayeeSession,
    first: Option<Vec<u8>>,
}

impl FrameHandler for OldCard {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        self.first.get_or_insert_with(|| frame.to_vec());
        match self.payee.handle_frame(frame, T0 + 60) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Ok(Frame::Ack.encode()),
            Err(_) => Err(FrameError::Internal),
        }
    }
}

#[test]
fn a_new_payer_polls_a_card_that_does_not_say_hello() {
    let (_, payer, payee) = pair(Suite::EcdsaP256);
    tap(&payer, &payee, T0).result.unwrap();
    let request = payee.request_payment(AMOUNT, T0 + 60).unwrap();
    let card = CardSession::new(CardConfig::extended(), OldCard { payee: request, first: None });
    let recorded = drive(&payer, card, T0 + 60);
    recorded.result.as_ref().unwrap();
    assert_eq!(recorded.reader_frame_types()[0], POLL);
    assert_eq!(recorded.card_frame_types()[0], REQUEST);
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
}

#[test]
fn a_payer_that_lost_its_cache_still_pays() {
    let (issuer, payer, payee) = pair(Suite::EcdsaP256);
    tap(&payer, &payee, T0).result.unwrap();
    // The same key and certificate restored into an empty store (a new install from a key
    // backup): it knows no peer, but the payee believes it holds the payee's certificate.
    let restored = Wallet::from_store(
        Store::open_in_memory().unwrap(),
        payer.signer(),
        KeyLocation::Hardware("test".into()),
        Box::new(SeededEntropy::new([9; 32])),
        WalletConfig::default(),
    )
    .unwrap();
    restored.install_issuer_keys(std::slice::from_ref(&issuer.key)).unwrap();
    restored.install_certificate(cert(&payer)).unwrap();
    restored.install_policy(&issuer.policy).unwrap();
    fund(&issuer, &restored, &[AMOUNT], T0).unwrap();
    let first = tap(&restored, &payee, T0 + 60);
    first.result.as_ref().unwrap();
    assert_eq!(first.reader_frame_types(), [HELLO, POLL, 0x03], "hello, then poll for the full request, then pay");
    assert_eq!(first.card_frame_types()[..2], [COMPACT_REQUEST, REQUEST]);
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
    // It holds the certificate again: the next tap is warm.
    fund(&issuer, &restored, &[AMOUNT], T0).unwrap();
    let next = tap(&restored, &payee, T0 + 120);
    next.result.as_ref().unwrap();
    assert_eq!(next.card_frame_types()[0], COMPACT_REQUEST);
    // A new wallet (a new key) is a stranger: a cold tap.
    let stranger = provisioned(&issuer, Suite::EcdsaP256, 7).unwrap();
    fund(&issuer, &stranger, &[AMOUNT], T0).unwrap();
    let cold = tap(&stranger, &payee, T0 + 180);
    cold.result.as_ref().unwrap();
    assert_eq!(cold.card_frame_types()[0], REQUEST);
}

#[test]
fn the_cache_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("oc-warm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let signer: Arc<dyn offline_cash_core::crypto::Signer> =
        Arc::new(offline_cash_core::crypto::SoftwareSigner::generate(Suite::EcdsaP256).unwrap());
    let payee_path = dir.join("payee.db");
    let _ = std::fs::remove_file(&payee_path);
    let payer = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    fund(&issuer, &payer, &[AMOUNT; 2], T0).unwrap();
    {
        let payee =
            offline_cash_core::wallet::testing::provisioned_on_disk(&issuer, signer.clone(), &payee_path, 2).unwrap();
        tap(&payer, &payee, T0).result.unwrap();
    }
    let payee = offline_cash_core::wallet::testing::provisioned_on_disk(&issuer, signer, &payee_path, 3).unwrap();
    let warm = tap(&payer, &payee, T0 + 60);
    warm.result.as_ref().unwrap();
    assert_eq!(warm.card_frame_types()[0], COMPACT_REQUEST);
    drop(payee);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The other role assignment: the payee's phone is the reader, the payer's the card (HCE).
fn reader_payee_tap(payer: &Wallet, payee: &Wallet, now: u64) -> Recorded {
    let clock = Arc::new(FixedClock(now));
    let card = CardHandler::session(Party::Payer(payer.pay()), clock, CardConfig::extended());
    let request = payee.request_payment(AMOUNT, now).unwrap();
    drive_reader(Party::Payee(Box::new(request)), card, now)
}

#[test]
fn a_card_payer_says_hello_when_polled_so_a_reader_payee_that_met_it_sends_no_certificate() {
    for suite in [Suite::EcdsaP256, Suite::MlDsa44] {
        let (_, payer, payee) = pair(suite);
        let (payer_cert, payee_cert) = (cert(&payer).to_bytes(), cert(&payee).to_bytes());
        // Strangers: the reader payee polls, the card payer says hello, nobody knows it, and
        // the full request goes out.
        let cold = reader_payee_tap(&payer, &payee, T0);
        cold.result.as_ref().unwrap();
        assert_eq!(cold.reader_frame_types()[..2], [POLL, REQUEST], "{suite:?}");
        assert_eq!(cold.card_frame_types()[0], HELLO, "{suite:?}");
        assert!(cold.carries(&payee_cert), "{suite:?}");
        let warm = reader_payee_tap(&payer, &payee, T0 + 60);
        warm.result.as_ref().unwrap();
        assert_eq!(warm.reader_frame_types(), [POLL, warm_request(suite), 0x0B], "{suite:?}: a key receipt");
        assert_eq!(warm.card_frame_types(), [HELLO, 0x03, 0x07], "{suite:?}: hello, sealed payment, ack");
        assert!(!warm.carries(&payee_cert), "{suite:?}: the payee's certificate crossed again");
        assert!(
            warm.bytes() + payer_cert.len() + payee_cert.len() <= cold.bytes() + 80,
            "{suite:?}: warm {} B, cold {} B",
            warm.bytes(),
            cold.bytes()
        );
        assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT, "{suite:?}");
        assert_eq!(payer.balance().unwrap().pending, 0, "{suite:?}");
    }
}

#[test]
fn a_card_payer_polled_again_says_hello_afresh_and_still_pays() {
    // A re-tap on the same card session SELECTs and polls again.
    let (_, payer, payee) = pair(Suite::EcdsaP256);
    let mut paying = payer.pay();
    let first = paying.handle_frame(&Frame::Poll.encode(), T0).unwrap().unwrap();
    let second = paying.handle_frame(&Frame::Poll.encode(), T0).unwrap().unwrap();
    assert_eq!((first[0], second[0]), (HELLO, HELLO));
    assert_ne!(first, second, "two hellos look unrelated");
    assert_eq!(payer.balance().unwrap().pending, 0, "nothing committed by a poll");
    let mut session = payee.request_payment(AMOUNT, T0).unwrap();
    let request = session.handle_frame(&second, T0).unwrap().unwrap();
    let payment = paying.handle_frame(&request, T0).unwrap().unwrap();
    let receipt = session.handle_frame(&payment, T0).unwrap().unwrap();
    assert!(paying.handle_frame(&receipt, T0).unwrap().is_none());
    assert!(paying.is_complete());
}

/// A payer's card of before the payer hello: no features, frames straight to the payer.
struct OldPayerCard(offline_cash_core::wallet::PayerSession);

impl FrameHandler for OldPayerCard {
    fn handle_frame(&mut self, frame: &[u8]) -> Result<Vec<u8>, FrameError> {
        match self.0.handle_frame(frame, T0 + 60) {
            Ok(Some(reply)) => Ok(reply),
            Ok(None) => Ok(Frame::Ack.encode()),
            Err(_) => Err(FrameError::Internal),
        }
    }
}

#[test]
fn a_reader_payee_sends_its_request_at_once_to_a_card_payer_that_does_not_say_hello() {
    let (_, payer, payee) = pair(Suite::EcdsaP256);
    reader_payee_tap(&payer, &payee, T0).result.unwrap();
    let card = CardSession::new(CardConfig::extended(), OldPayerCard(payer.pay()));
    let request = payee.request_payment(AMOUNT, T0 + 60).unwrap();
    let recorded = drive_reader(Party::Payee(Box::new(request)), card, T0 + 60);
    recorded.result.as_ref().unwrap();
    assert_eq!(recorded.reader_frame_types()[0], REQUEST, "no poll: the full request, as before");
    assert_eq!(payee.balance().unwrap().spendable, 2 * AMOUNT);
}

/// The payee's answer to `payer`'s hello, straight from a request session (no tap around it).
fn answer_to_hello(payer: &Wallet, payee: &Wallet, now: u64) -> Vec<u8> {
    let mut request = payee.request_payment(AMOUNT, now).unwrap();
    request.handle_frame(&payer.pay().hello_frame(), now).unwrap().unwrap()
}

#[test]
fn an_ml_dsa_44_payee_signs_warm_requests_with_one_time_keys_and_the_tap_stays_under_7_5_kilobytes() {
    let (_, payer, payee) = pair(Suite::MlDsa44);
    tap(&payer, &payee, T0).result.unwrap();
    for (i, now) in [T0 + 60, T0 + 120].into_iter().enumerate() {
        let warm = tap(&payer, &payee, now);
        warm.result.as_ref().unwrap();
        assert_eq!(warm.card_frame_types(), [ONE_TIME_REQUEST, 0x0B], "warm tap {i}: one-time request, key receipt");
        assert!(warm.bytes() <= 7_500, "warm tap {i}: {} bytes on the air", warm.bytes());
    }
    assert_eq!(payee.balance().unwrap().spendable, 3 * AMOUNT);
    assert_eq!(payer.balance().unwrap().pending, 0);
    // Paying back, the other way round: the first payer is now the payee, it holds no key for
    // the other yet, so it signs with its wallet key first, and one-time keys from then on.
    let back = tap(&payee, &payer, T0 + 180);
    back.result.as_ref().unwrap();
    assert_eq!(back.card_frame_types()[0], COMPACT_REQUEST);
    let again = tap(&payee, &payer, T0 + 240);
    again.result.as_ref().unwrap();
    assert_eq!(again.card_frame_types()[0], ONE_TIME_REQUEST);
    // A reader payee answers the card payer's hello the same way.
    let reader = reader_payee_tap(&payer, &payee, T0 + 300);
    reader.result.as_ref().unwrap();
    assert_eq!(reader.reader_frame_types()[1], ONE_TIME_REQUEST);
    assert_eq!(payee.balance().unwrap().spendable + payer.balance().unwrap().spendable, 3 * AMOUNT);
}

#[test]
fn a_one_time_key_signs_once_even_when_the_tap_is_torn() {
    let (_, payer, payee) = pair(Suite::MlDsa44);
    tap(&payer, &payee, T0).result.unwrap();
    // The payee answers a hello with a one-time request, and the tap tears before the payer
    // sees it: the key is spent all the same.
    assert_eq!(answer_to_hello(&payer, &payee, T0 + 30)[0], ONE_TIME_REQUEST);
    // The next answer is signed with the wallet key (no one-time key left for this payer)...
    assert_eq!(answer_to_hello(&payer, &payee, T0 + 40)[0], COMPACT_REQUEST);
    let next = tap(&payer, &payee, T0 + 60);
    next.result.as_ref().unwrap();
    assert_eq!(next.card_frame_types()[0], COMPACT_REQUEST);
    // ...and its key receipt hands the payer a fresh commitment.
    let warm = tap(&payer, &payee, T0 + 120);
    warm.result.as_ref().unwrap();
    assert_eq!(warm.card_frame_types()[0], ONE_TIME_REQUEST);
    assert_eq!(payee.balance().unwrap().spendable, 3 * AMOUNT);
}

#[test]
fn a_one_time_request_that_does_not_verify_is_answered_with_a_poll_and_nothing_is_paid() {
    let (_, payer, payee) = pair(Suite::MlDsa44);
    tap(&payer, &payee, T0).result.unwrap();
    let genuine = answer_to_hello(&payer, &payee, T0 + 60);
    assert_eq!(genuine[0], ONE_TIME_REQUEST);
    let before = payer.balance().unwrap();
    // A flipped bit in the signature (the frame's last bytes), and one in the amount.
    let mut bad_signature = genuine.clone();
    *bad_signature.last_mut().unwrap() ^= 0x01;
    let amount = genuine.windows(2).position(|w| w == [0x18, AMOUNT as u8]).unwrap();
    let mut bad_amount = genuine.clone();
    bad_amount[amount + 1] = 99;
    for forged in [bad_signature, bad_amount] {
        let mut paying = payer.pay();
        let answer = paying.handle_frame(&forged, T0 + 60).unwrap().unwrap();
        assert_eq!(answer, Frame::Poll.encode(), "the payer asks for the full request instead");
        assert_eq!(payer.balance().unwrap(), before, "nothing committed");
    }
    // The genuine one is paid.
    let mut paying = payer.pay();
    let answer = paying.handle_frame(&genuine, T0 + 60).unwrap().unwrap();
    assert_eq!(answer[0], 0x03, "a sealed payment");
}

#[test]
fn a_spent_one_time_key_does_not_come_back_after_a_restart() {
    let dir = std::env::temp_dir().join(format!("oc-one-time-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let issuer = TestIssuer::new(Suite::MlDsa44).unwrap();
    let signer: Arc<dyn offline_cash_core::crypto::Signer> =
        Arc::new(offline_cash_core::crypto::SoftwareSigner::generate(Suite::MlDsa44).unwrap());
    let payee_path = dir.join("payee.db");
    let _ = std::fs::remove_file(&payee_path);
    let payer = provisioned(&issuer, Suite::MlDsa44, 1).unwrap();
    fund(&issuer, &payer, &[AMOUNT; 3], T0).unwrap();
    let open = |seed| {
        offline_cash_core::wallet::testing::provisioned_on_disk(&issuer, signer.clone(), &payee_path, seed).unwrap()
    };
    {
        let payee = open(2);
        tap(&payer, &payee, T0).result.unwrap();
    }
    {
        // The key kept for the payer survives a restart and signs the next warm request...
        let payee = open(3);
        let warm = tap(&payer, &payee, T0 + 60);
        warm.result.as_ref().unwrap();
        assert_eq!(warm.card_frame_types()[0], ONE_TIME_REQUEST);
        // ...and the key that tap left is spent on a request that never reaches the payer.
        assert_eq!(answer_to_hello(&payer, &payee, T0 + 90)[0], ONE_TIME_REQUEST);
    }
    // After a restart, that spent key is gone: the next request is signed with the wallet key.
    let payee = open(4);
    assert_eq!(answer_to_hello(&payer, &payee, T0 + 120)[0], COMPACT_REQUEST);
    drop(payee);
    let _ = std::fs::remove_dir_all(&dir);
}
