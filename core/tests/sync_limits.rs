//! The settlement client refuses oversized answers before buffering them: a hostile issuer or
//! a network attacker at sync cannot exhaust the phone's memory (docs/PROTOCOL.md §8).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use offline_cash_core::sync::{MAX_RESPONSE_BYTES, SyncClient, SyncError};
use std::io::{Read as _, Write as _};
use std::net::TcpListener;

/// Serves one connection: reads the request head, then writes `head` and `body_len` bytes of
/// `{` in 64 KiB pieces (stopping quietly when the client hangs up).
fn hostile_server(head: String, body_len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 64 * 1024];
        let _ = sock.read(&mut buf);
        if sock.write_all(head.as_bytes()).is_err() {
            return;
        }
        let piece = vec![b'{'; 64 * 1024];
        let mut sent = 0;
        while sent < body_len {
            let n = piece.len().min(body_len - sent);
            if sock.write_all(&piece[..n]).is_err() {
                return;
            }
            sent += n;
        }
    });
    url
}

fn assert_too_large(result: Result<impl std::fmt::Debug, SyncError>) {
    match result {
        Err(SyncError::InvalidResponse { what }) => assert!(what.contains("exceeds"), "{what}"),
        other => panic!("expected an oversized-answer refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_declaring_a_huge_length_is_refused_before_reading() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000000000\r\n\r\n".to_owned();
    let url = hostile_server(head, 1024);
    assert_too_large(SyncClient::create_account(&url, "admin", "x", 1).await);
}

#[tokio::test]
async fn a_chunked_answer_longer_than_the_limit_is_cut_off() {
    // No length announced: the client must count as it reads.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n".to_owned();
    let url = hostile_server(head, MAX_RESPONSE_BYTES + 256 * 1024);
    assert_too_large(SyncClient::create_account(&url, "admin", "x", 1).await);
}
