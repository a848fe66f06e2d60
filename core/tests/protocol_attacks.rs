//! Attacks on the payee, each expecting a specific typed rejection (machine level).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::HashMap;

use offline_cash_core::crypto::Suite;
use offline_cash_core::protocol::payee::{self, ExpectPayment, PayeeChecks, RequestParams};
use offline_cash_core::protocol::payer::{ExpectRequest, Funds, PayerChecks};
use offline_cash_core::protocol::{Frame, LimitKind, Payment, PaymentRejection, ProtocolError};
use offline_cash_core::store::testing::commit_prepared;
use offline_cash_core::testkit::{Fixture, T0, TestWallet, eur};
use offline_cash_core::token::{
    Chain, Currency, LinkBody, LinkId, NoRevocations, NoteId, ObjectKind, Rejection, RevocationCheck, SpendLink,
    WalletCertificate,
};

const SUITE: Suite = Suite::EcdsaP256;

/// A payee with the records a wallet keeps: open requests and links it holds.
struct Payee {
    w: TestWallet,
    open: HashMap<[u8; 16], u64>,
    held_links: HashMap<NoteId, LinkId>,
    balance: u64,
    next_nonce: u8,
}

impl Payee {
    fn new(fx: &Fixture) -> Self {
        Self {
            w: TestWallet::new(&fx.issuer, SUITE).unwrap(),
            open: HashMap::new(),
            held_links: HashMap::new(),
            balance: 0,
            next_nonce: 1,
        }
    }

    fn request(&mut self, amount: u64, currency: Currency) -> (ExpectPayment, Vec<u8>) {
        let nonce = [self.next_nonce; 16];
        self.next_nonce += 1;
        self.open.insert(nonce, amount);
        // States it can receive anything: these attacks are on the payee's own checks.
        let params = RequestParams {
            amount,
            currency,
            nonce,
            now: T0,
            expires_at: T0 + 600,
            can_receive: u64::MAX,
            known_certificates: vec![],
            session_seed: None,
            receipt_key: None,
        };
        payee::request(self.w.cert.clone(), params, &self.w.signer).unwrap()
    }

    fn receive_with(
        &mut self,
        fx: &Fixture,
        state: ExpectPayment,
        frame: &[u8],
        revocations: &dyn RevocationCheck,
    ) -> Result<u64, ProtocolError> {
        let incoming = state.handle_frame(frame)?;
        let open = |n: &[u8; 16]| self.open.get(n).copied();
        let held = |p: &NoteId| self.held_links.get(p).copied();
        let mut verify = fx.context();
        verify.revocations = revocations;
        let checks = PayeeChecks {
            verify,
            payee_certificate: &self.w.cert,
            open_request: &open,
            spent_by: &held,
            balance: self.balance,
        };
        let accepted = incoming.verify(&checks)?;
        self.open.remove(&accepted.nonce);
        for chain in &accepted.chains {
            for link in &chain.links {
                self.held_links.insert(link.body().parent, link.id());
            }
        }
        self.balance += accepted.amount;
        Ok(accepted.amount)
    }

    fn receive(&mut self, fx: &Fixture, state: ExpectPayment, frame: &[u8]) -> Result<u64, ProtocolError> {
        self.receive_with(fx, state, frame, &NoRevocations)
    }
}

fn rejected(r: PaymentRejection) -> Result<u64, ProtocolError> {
    Err(ProtocolError::Rejected(r))
}

/// The payment frame `payer` produces for `request` from `funds`.
fn payment_frame(fx: &Fixture, payer: &TestWallet, request: &[u8], funds: Funds) -> Vec<u8> {
    let accepted = ExpectRequest::new().handle_frame(request, &payer_checks(fx, T0)).unwrap();
    let spent: Vec<Chain> = funds.full.iter().chain(funds.split.iter().map(|(c, _)| c)).cloned().collect();
    let prepared = accepted.pay(funds, &payer.signer, 1, T0, None).unwrap();
    let durable = commit_prepared(&fx.issuer, payer, &spent, prepared.pending(), T0).unwrap();
    prepared.committed(durable).unwrap().1
}

fn payer_checks(fx: &Fixture, now: u64) -> PayerChecks<'_> {
    PayerChecks { trust: &fx.trust, currency: eur(), revocations: &NoRevocations, now, max_clock_skew: 300 }
}

fn funded(fx: &Fixture, amount: u64) -> (TestWallet, Chain) {
    let w = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let chain = Chain::genesis(fx.issuer.issue(w.id(), amount).unwrap());
    (w, chain)
}

fn full(chain: Chain, w: &TestWallet) -> Funds {
    Funds { full: vec![chain], split: None, certificates: vec![w.cert.clone()] }
}

#[test]
fn replayed_payment_to_the_same_payee_is_refused_once_its_request_is_used() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    assert_eq!(b.receive(&fx, state, &frame), Ok(500));
    // An eavesdropper replays the recorded payment into a new request of the same payee.
    let (state, _) = b.request(500, eur());
    assert_eq!(b.receive(&fx, state, &frame), rejected(PaymentRejection::Replayed));
    assert_eq!(b.balance, 500);
}

#[test]
fn replayed_payment_to_another_payee_is_refused() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let mut c = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    let (state_c, _) = c.request(500, eur());
    assert_eq!(c.receive(&fx, state_c, &frame), rejected(PaymentRejection::WrongPayee { found: b.w.id() }));
    assert_eq!(b.receive(&fx, state, &frame), Ok(500));
}

#[test]
fn altered_amount_in_flight() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    let Frame::Payment(bytes) = Frame::decode(&frame).unwrap() else { panic!() };
    let mut payment = Payment::from_bytes(&bytes).unwrap();
    let link = payment.bundle.links[0].clone();
    let mut body: LinkBody = link.body().clone();
    body.outputs[0].amount = 5_000;
    payment.bundle.links[0] = SpendLink::from_parts(body, link.signature().clone());
    payment.bundle.heads = vec![offline_cash_core::testkit::output_id(&payment.bundle.links[0], 0)];
    let tampered = Frame::Payment(payment.to_bytes()).encode();
    assert_eq!(
        b.receive(&fx, state, &tampered),
        rejected(PaymentRejection::Chain(Rejection::Altered { object: ObjectKind::Link }))
    );
}

#[test]
fn payment_to_a_different_payee_than_the_one_asking() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let mut mallory = Payee::new(&fx);
    // A answers Mallory's request but B is the one holding the open request (relay attempt).
    let (_, request_m) = mallory.request(500, eur());
    let frame = payment_frame(&fx, &a, &request_m, full(note, &a));
    let (state_b, _) = b.request(500, eur());
    assert_eq!(b.receive(&fx, state_b, &frame), rejected(PaymentRejection::WrongPayee { found: mallory.w.id() }));
}

#[test]
fn forged_issuer_note() {
    let fx = Fixture::new(SUITE).unwrap();
    let counterfeiter = offline_cash_core::testkit::TestIssuer::new(SUITE).unwrap();
    let a = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let fake = Chain::genesis(counterfeiter.issue(a.id(), 500).unwrap());
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(fake, &a));
    assert_eq!(
        b.receive(&fx, state, &frame),
        rejected(PaymentRejection::Chain(Rejection::Altered { object: ObjectKind::Note }))
    );
}

#[test]
fn stolen_note_signed_by_a_non_owner() {
    let fx = Fixture::new(SUITE).unwrap();
    let (victim, note) = funded(&fx, 500);
    let thief = TestWallet::new(&fx.issuer, SUITE).unwrap();
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    // The thief builds the payment by hand: its own signature on the victim's note.
    let accepted = ExpectRequest::new().handle_frame(&request, &payer_checks(&fx, T0)).unwrap();
    let nonce = accepted.request().nonce;
    let link = SpendLink::sign(
        LinkBody {
            parent: note.head,
            outputs: vec![offline_cash_core::token::Output { owner: b.w.id(), amount: 500 }],
            counter: 1,
            payee_nonce: nonce,
            time: T0,
        },
        &thief.signer,
    )
    .unwrap();
    let chain = note.extended(link, 0);
    let certs: Vec<WalletCertificate> = vec![victim.cert.clone(), thief.cert.clone()];
    let mut bundle = offline_cash_core::token::Bundle::from_chains(&[chain], &certs, &Default::default()).unwrap();
    bundle.certificates.push(thief.cert.clone());
    let frame = Frame::Payment(Payment { bundle }.to_bytes()).encode();
    assert_eq!(
        b.receive(&fx, state, &frame),
        rejected(PaymentRejection::Chain(Rejection::WrongOwner { parent: note.head }))
    );
}

#[test]
fn double_spend_presented_to_the_same_payee() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note.clone(), &a));
    assert_eq!(b.receive(&fx, state, &frame), Ok(500));
    // A (a cheater with a rolled-back wallet) spends the same note again to B.
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note.clone(), &a));
    assert_eq!(b.receive(&fx, state, &frame), rejected(PaymentRejection::DoubleSpend { parent: note.head }));
    assert_eq!(b.balance, 500);
}

#[test]
fn revoked_payer() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let list = fx.issuer.revoke(vec![a.id()]).unwrap();
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    assert_eq!(
        b.receive_with(&fx, state, &frame, &list),
        rejected(PaymentRejection::Chain(Rejection::Revoked { wallet: a.id() }))
    );
}

#[test]
fn payer_certificate_expired() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    // The payee's clock is past the payer's certificate window (the link itself was signed
    // while it was valid, so only the "valid now" check can catch it).
    let not_after = a.cert.body().not_after;
    let incoming = state.handle_frame(&frame).unwrap();
    let open = |n: &[u8; 16]| b.open.get(n).copied();
    let held = |_: &NoteId| None;
    let mut verify = fx.context();
    verify.now = not_after + 1;
    let checks = PayeeChecks { verify, payee_certificate: &b.w.cert, open_request: &open, spent_by: &held, balance: 0 };
    assert_eq!(
        incoming.verify(&checks).map(|a| a.amount),
        Err(PaymentRejection::Certificate(Rejection::Expired {
            object: ObjectKind::Certificate,
            expired_at: not_after,
            at: not_after + 1
        }))
    );
}

#[test]
fn over_the_payees_holding_limit() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 40_000);
    let mut b = Payee::new(&fx);
    b.balance = 190_000;
    let (state, request) = b.request(40_000, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    assert_eq!(
        b.receive(&fx, state, &frame),
        rejected(PaymentRejection::OverLimit { limit: LimitKind::Holding, limit_value: 200_000, over_by: 30_000 })
    );
}

#[test]
fn wrong_currency_request_is_refused_by_the_payer() {
    let fx = Fixture::new(SUITE).unwrap();
    let mut b = Payee::new(&fx);
    let (_, request) = b.request(500, Currency::new("USD").unwrap());
    assert_eq!(
        ExpectRequest::new().handle_frame(&request, &payer_checks(&fx, T0)).map(|_| ()),
        Err(ProtocolError::Rejected(PaymentRejection::Currency))
    );
}

#[test]
fn amount_that_does_not_match_the_request() {
    let fx = Fixture::new(SUITE).unwrap();
    let (a, note) = funded(&fx, 500);
    let mut b = Payee::new(&fx);
    let (state, request) = b.request(500, eur());
    let frame = payment_frame(&fx, &a, &request, full(note, &a));
    // The payee's record of the request says 400 (e.g. a second request re-used the nonce).
    let nonce = *b.open.keys().next().unwrap();
    b.open.insert(nonce, 400);
    assert_eq!(b.receive(&fx, state, &frame), rejected(PaymentRejection::AmountMismatch { requested: 400, paid: 500 }));
}
