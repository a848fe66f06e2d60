//! Writes the seed corpora under `fuzz/corpus/<target>/` from real objects and real taps
//! between the fixture wallets (same keys as the targets, so every seed passes every check).
//!
//! ```text
//!  cargo run --manifest-path fuzz/Cargo.toml --example seed     # then: cargo fuzz cmin <target>
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use offline_cash_core::crypto::{Signer, SoftwareKeyWrapper};
use offline_cash_core::nfc::{CardConfig, ReaderConfig};
use offline_cash_core::protocol::payee::{RequestParams, compact_request, request};
use offline_cash_core::protocol::{Frame, Payment};
use offline_cash_core::qr::{PartEncoder, request_uri};
use offline_cash_core::sync::wire;
use offline_cash_core::testkit::eur;
use offline_cash_core::wallet::{CardHandler, FixedClock, Party, ReaderDriver, ReaderStep, Wallet};
use offline_cash_fuzz::{AMOUNT, FixtureError, NOW, issuer, join_frames, payee, payee_key, payer};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> Result<(), FixtureError> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)?;
    Ok(())
}

/// One tap through the APDU layer: (command APDUs, response APDUs).
fn tap(card: Party, reader: Party, extended: bool) -> Result<(Vec<Vec<u8>>, Vec<Vec<u8>>), FixtureError> {
    let (cc, rc) = if extended {
        (CardConfig::extended(), ReaderConfig::extended())
    } else {
        (CardConfig::short(), ReaderConfig::short())
    };
    let mut card = CardHandler::session(card, Arc::new(FixedClock(NOW)), cc);
    let mut driver = ReaderDriver::new(reader, rc)?;
    let (mut commands, mut responses) = (Vec::new(), Vec::new());
    let mut apdu = driver.start();
    for _ in 0..10_000 {
        let response = card.process_apdu(&apdu);
        commands.push(apdu.clone());
        responses.push(response.clone());
        match driver.handle_response(&response, NOW)? {
            ReaderStep::Transmit(next) => apdu = next,
            ReaderStep::Done => break,
        }
    }
    Ok((commands, responses))
}

/// A payment frame from `payer_wallet` answering `request_frame`, and the payee's reply.
fn pay_frames(from: &Wallet, to: &Wallet, amount: u64) -> Result<Vec<u8>, FixtureError> {
    let mut payee_session = to.request_payment(amount, NOW)?;
    let mut payer_session = from.pay();
    let payment = payer_session.handle_frame(payee_session.request_frame(), NOW)?.ok_or("no payment")?;
    let receipt = payee_session.handle_frame(&payment, NOW)?.ok_or("no receipt")?;
    let _ = payer_session.handle_frame(&receipt, NOW)?;
    Ok(payment)
}

/// A clear (unencrypted) payment frame from `from` answering a request by `to`.
fn clear_payment(
    from: &Wallet,
    to: offline_cash_core::token::WalletCertificate,
    to_key: &dyn Signer,
    amount: u64,
) -> Result<Vec<u8>, FixtureError> {
    let params = RequestParams {
        amount,
        currency: eur(),
        nonce: [8; 16],
        now: NOW,
        expires_at: NOW + 600,
        can_receive: u64::MAX,
        known_certificates: Vec::new(),
        session_seed: None,
        receipt_key: None,
    };
    let (_, request_frame) = request(to, params, to_key)?;
    Ok(from.pay().handle_frame(&request_frame, NOW)?.ok_or("no payment")?)
}

fn payment_of(frame: &[u8]) -> Result<Payment, FixtureError> {
    match Frame::decode(frame)? {
        Frame::Payment(bytes) => Ok(Payment::from_bytes(&bytes)?),
        _ => Err("not a clear payment".into()),
    }
}

fn main() -> Result<(), FixtureError> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let issuer = issuer()?;

    // NFC transcripts: every role and APDU size, as the targets replay them.
    for extended in [false, true] {
        let x = if extended { "ext" } else { "short" };
        for payer_is_card in [false, true] {
            let a = payer(&issuer)?;
            let b = payee(&issuer)?;
            let payee_party = Party::Payee(Box::new(b.request_payment(AMOUNT, NOW)?));
            let payer_party = Party::Payer(a.pay());
            let role = if payer_is_card { "payer-card" } else { "payee-card" };
            let (commands, responses) = if payer_is_card {
                tap(payer_party, payee_party, extended)?
            } else {
                tap(payee_party, payer_party, extended)?
            };
            let mode = u8::from(payer_is_card) | (u8::from(extended) << 1);
            write(&dir, "card_apdu_wallet", &format!("{role}-{x}"), &[&[mode], &join_frames(&commands)[..]].concat())?;
            // The reader is the other party: payer reader (0) when the payee is the card.
            let rmode = u8::from(payer_is_card) | (u8::from(extended) << 2);
            write(&dir, "reader_response", &format!("{role}-{x}"), &[&[rmode], &join_frames(&responses)[..]].concat())?;
            write(
                &dir,
                "reader_response",
                &format!("bare-{role}-{x}"),
                &[&[rmode | 2], &join_frames(&responses)[..]].concat(),
            )?;
            write(
                &dir,
                "card_apdu_echo",
                &format!("{role}-{x}"),
                &[&[u8::from(extended)], &join_frames(&commands)[..]].concat(),
            )?;
        }
    }

    // Protocol frames into the payee engine (request nonce [7; 16], clear and sealed).
    let payee_cert = issuer.certify(&payee_key()?)?;
    for sealed in [false, true] {
        let params = RequestParams {
            amount: AMOUNT,
            currency: eur(),
            nonce: [7; 16],
            now: NOW,
            expires_at: NOW + 600,
            can_receive: u64::MAX,
            known_certificates: Vec::new(),
            session_seed: sealed.then_some([9; 32]),
            receipt_key: None,
        };
        let (_, request_frame) = request(payee_cert.clone(), params.clone(), &payee_key()?)?;
        let a = payer(&issuer)?;
        let mut session = a.pay();
        let payment = session.handle_frame(&request_frame, NOW)?.ok_or("no payment")?;
        let name = if sealed { "sealed" } else { "clear" };
        write(&dir, "payee_frame", &format!("payment-{name}"), &[&[u8::from(sealed)], &payment[..]].concat())?;
        write(&dir, "payee_frame", &format!("request-{name}"), &[&[u8::from(sealed)], &request_frame[..]].concat())?;
        write(&dir, "signed_objects", &format!("frame-request-{name}"), &[&[7u8], &request_frame[..]].concat())?;
        if !sealed {
            // Scanned QR text: the request's URI, and a payment's parts (fragments 3 and 5 lost,
            // mixes after them, one per line).
            write(&dir, "qr_text", "request-uri", request_uri(&request_frame)?.as_bytes())?;
            // The same request in compact form (`offlinecash:C…`, the certificate by id).
            let (_, compact_frame) = compact_request(payee_cert.clone(), params, &payee_key()?)?;
            write(&dir, "qr_text", "compact-request-uri", request_uri(&compact_frame)?.as_bytes())?;
            let parts = PartEncoder::new(&payment, 256)?;
            let n = u32::try_from(parts.fragments())?;
            let lines: Vec<String> =
                (1..=n + 4).filter(|s| *s != 3 && *s != 5).rev().map(|s| parts.part_text(s)).collect();
            write(&dir, "qr_text", "payment-parts", lines.join("\n").as_bytes())?;
        }
    }

    // Bundles: one hop (payer → payee) and two hops (payee pays part back), in clear.
    let a = payer(&issuer)?;
    let b = payee(&issuer)?;
    let payer_cert = issuer.certify(&offline_cash_fuzz::payer_key()?)?;
    let hop1 = clear_payment(&payer(&issuer)?, payee_cert.clone(), &payee_key()?, AMOUNT)?;
    pay_frames(&a, &b, AMOUNT)?;
    let hop2 = clear_payment(&b, payer_cert, &offline_cash_fuzz::payer_key()?, 100)?;
    let mut records = Vec::new();
    for (name, frame) in [("hop1", &hop1), ("hop2", &hop2)] {
        let payment = payment_of(frame)?;
        let bundle = payment.bundle.to_bytes();
        write(&dir, "bundle_verify", name, &bundle)?;
        write(&dir, "signed_objects", &format!("payment-{name}"), &[&[8u8], &payment.to_bytes()[..]].concat())?;
        write(&dir, "signed_objects", &format!("frame-payment-{name}"), &[&[7u8], &frame[..]].concat())?;
        for (i, link) in payment.bundle.links.iter().enumerate() {
            write(&dir, "signed_objects", &format!("link-{name}-{i}"), &[&[2u8], &link.to_bytes()[..]].concat())?;
        }
        for (i, cert) in payment.bundle.certificates.iter().enumerate() {
            write(&dir, "signed_objects", &format!("cert-{name}-{i}"), &[&[0u8], &cert.to_bytes()[..]].concat())?;
        }
        for (i, note) in payment.bundle.notes.iter().enumerate() {
            write(&dir, "signed_objects", &format!("note-{name}-{i}"), &[&[1u8], &note.to_bytes()[..]].concat())?;
        }
        records.push(wire::Record {
            kind: wire::RecordKind::Deposit,
            bundle: base64::engine::general_purpose::STANDARD.encode(&bundle),
            amounts: Vec::new(),
        });
        write(&dir, "issuer_requests", &format!("bundle-{name}"), &[&[3u8], &bundle[..]].concat())?;
        let defund = wire::DefundRequest { bundle: base64::engine::general_purpose::STANDARD.encode(&bundle) };
        write(
            &dir,
            "issuer_requests",
            &format!("defund-{name}"),
            &[&[1u8], &serde_json::to_vec(&defund)?[..]].concat(),
        )?;
    }
    write(&dir, "signed_objects", "policy", &[&[3u8], &issuer.policy.to_bytes()[..]].concat())?;
    let revoked = issuer.revoke(vec![b.id(), a.id()])?;
    write(&dir, "signed_objects", "revocations", &[&[4u8], &revoked.to_bytes()[..]].concat())?;
    write(&dir, "signed_objects", "issuer-key", &[&[5u8], &issuer.key.to_bytes()[..]].concat())?;
    let wrapped = payee_key()?.wrap(&SoftwareKeyWrapper::new([5; 32]))?;
    write(&dir, "signed_objects", "wrapped-key", &[&[6u8], &wrapped.encode()[..]].concat())?;
    write(&dir, "signed_objects", "frame-poll", &[&[7u8], &Frame::Poll.encode()[..]].concat())?;

    // Issuer request bodies.
    let sync = wire::SyncRequest {
        batch_id: "00112233445566778899aabbccddeeff".into(),
        records,
        counter: 1,
        log_head: "00".repeat(32),
        log_len: Some(3),
        revocation_sequence: None,
    };
    write(&dir, "issuer_requests", "sync", &[&[0u8], &serde_json::to_vec(&sync)?[..]].concat())?;
    let fund = wire::FundRequest { request_id: "0f".repeat(16), amounts: vec![100, 200] };
    write(&dir, "issuer_requests", "fund", &[&[2u8], &serde_json::to_vec(&fund)?[..]].concat())?;
    let account = wire::CreateAccountRequest { customer_ref: "someone".into(), balance: 5 };
    write(&dir, "issuer_requests", "account", &[&[4u8], &serde_json::to_vec(&account)?[..]].concat())?;
    let signed = [
        "credential".as_bytes(),
        &[0],
        a.id().to_hex().as_bytes(),
        &[0],
        NOW.to_string().as_bytes(),
        &[0],
        "00".repeat(16).as_bytes(),
        &[0],
        "AQ==".as_bytes(),
        &[0],
        &serde_json::to_vec(&sync)?,
    ]
    .concat();
    write(&dir, "issuer_requests", "signed", &[&[5u8], &signed[..]].concat())?;

    // A wallet database file after funding and a payment.
    let tmp = std::env::temp_dir().join(format!("oc-seed-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let path = tmp.join("wallet.db");
    let _ = std::fs::remove_file(&path);
    {
        let store = offline_cash_core::store::Store::open(&path)?;
        let key: Arc<dyn Signer> = Arc::new(offline_cash_fuzz::payer_key()?);
        let w = Wallet::from_store(
            store,
            key,
            offline_cash_core::store::KeyLocation::Hardware("seed".into()),
            Box::new(offline_cash_core::wallet::SeededEntropy::new([3; 32])),
            offline_cash_core::wallet::WalletConfig::default(),
        )?;
        w.install_issuer_keys(std::slice::from_ref(&issuer.key))?;
        w.install_certificate(issuer.certify(&offline_cash_fuzz::payer_key()?)?)?;
        w.install_policy(&issuer.policy)?;
        offline_cash_core::wallet::testing::fund(&issuer, &w, &[1_000, 500], NOW)?;
        let c = payee(&issuer)?;
        pay_frames(&w, &c, 200)?;
    }
    write(&dir, "store_open", "wallet", &std::fs::read(&path)?)?;
    write(&dir, "store_open", "empty", b"")?;
    let _ = std::fs::remove_dir_all(&tmp);
    println!("seeds written under {}", dir.display());
    Ok(())
}
