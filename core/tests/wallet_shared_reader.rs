//! The reader role driven through a blocking transceiver while another thread reports a
//! tear: `SharedReader` never holds its lock across the app's `transceive`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use offline_cash_core::crypto::Suite;
use offline_cash_core::nfc::{CardConfig, ReaderConfig};
use offline_cash_core::testkit::{T0, TestIssuer};
use offline_cash_core::wallet::testing::{fund, provisioned};
use offline_cash_core::wallet::{CardHandler, FixedClock, Party, ReaderDriver, SharedReader, Wallet, WalletError};

fn wallets() -> (Wallet, Wallet) {
    let issuer = TestIssuer::new(Suite::EcdsaP256).unwrap();
    let a = provisioned(&issuer, Suite::EcdsaP256, 1).unwrap();
    let b = provisioned(&issuer, Suite::EcdsaP256, 2).unwrap();
    fund(&issuer, &a, &[1_000], T0).unwrap();
    (a, b)
}

/// The payer as reader, the payee as card, for `amount`.
fn tap_parts(
    payer: &Wallet,
    payee: &Wallet,
    amount: u64,
) -> (SharedReader, offline_cash_core::nfc::CardSession<CardHandler>) {
    let request = payee.request_payment(amount, T0).unwrap();
    let card = CardHandler::session(Party::Payee(Box::new(request)), Arc::new(FixedClock(T0)), CardConfig::short());
    let reader = SharedReader::new(ReaderDriver::new(Party::Payer(payer.pay()), ReaderConfig::short()).unwrap());
    (reader, card)
}

#[test]
fn run_pays_through_the_transceiver() {
    let (a, b) = wallets();
    let (reader, mut card) = tap_parts(&a, &b, 300);
    let mut commands = 0;
    reader
        .run(
            |apdu| {
                commands += 1;
                Ok::<_, String>(card.process_apdu(&apdu))
            },
            &FixedClock(T0),
        )
        .unwrap();
    assert!(commands >= 3, "SELECT and two round trips, got {commands}");
    assert_eq!(a.balance().unwrap().spendable, 700);
    assert_eq!(a.balance().unwrap().pending, 0);
    assert_eq!(b.balance().unwrap().spendable, 300);
}

#[test]
fn a_transceiver_error_is_a_tear() {
    let (a, b) = wallets();
    let (reader, _card) = tap_parts(&a, &b, 300);
    let err = reader.run(|_| Err::<Vec<u8>, _>("tag lost"), &FixedClock(T0)).unwrap_err();
    assert!(matches!(err, WalletError::Torn { ref detail } if detail == "tag lost"), "{err:?}");
    assert_eq!(a.balance().unwrap().spendable, 1_000);
}

#[test]
fn torn_from_another_thread_returns_while_transceive_blocks() {
    let (a, b) = wallets();
    let (reader, mut card) = tap_parts(&a, &b, 300);
    let reader = Arc::new(reader);
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();

    // The run thread: its second command (the poll, after SELECT) blocks in the "app's"
    // transceive until the test releases it; the card's answer (the request) then comes back.
    let runner = {
        let reader = Arc::clone(&reader);
        thread::spawn(move || {
            let mut n = 0;
            reader.run(
                move |apdu| {
                    n += 1;
                    if n == 2 {
                        entered_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                    }
                    Ok::<_, String>(card.process_apdu(&apdu))
                },
                &FixedClock(T0),
            )
        })
    };
    entered_rx.recv_timeout(Duration::from_secs(30)).expect("the run reached its second transceive");

    // torn() from a third thread must return while transceive is still blocked.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let tearer = {
        let reader = Arc::clone(&reader);
        thread::spawn(move || {
            reader.torn();
            done_tx.send(()).unwrap();
        })
    };
    let returned = done_rx.recv_timeout(Duration::from_secs(10)).is_ok();
    release_tx.send(()).unwrap();
    let result = runner.join().unwrap();
    tearer.join().unwrap();
    assert!(returned, "torn() waited for the blocked transceive (a lock held across the host callback)");

    // The run saw the tear and did not feed the stale answer to the reset driver.
    assert!(matches!(result, Err(WalletError::Torn { .. })), "{result:?}");
    // The payer never saw the request that came back late: nothing was spent.
    assert_eq!(a.balance().unwrap().spendable, 1_000);
    assert_eq!(a.balance().unwrap().pending, 0);
    assert_eq!(b.balance().unwrap().total, 0);
    // The session stays torn: a new session from the wallet pays in full.
    let (again, mut card) = tap_parts(&a, &b, 300);
    again.run(|apdu| Ok::<_, String>(card.process_apdu(&apdu)), &FixedClock(T0)).unwrap();
    assert_eq!(a.balance().unwrap().spendable, 700);
    assert_eq!(b.balance().unwrap().spendable, 300);
}
