"""The objects of docs/PROTOCOL.md §3 and §5, built by an attacker who holds a key of its own.
Checked against docs/vectors/token-p256.txt by `self_test` (run at the start of every run)."""

import hashlib
import os
import pathlib
import secrets

import cbor
import p256

LABEL = {1: b"OfflineCash/1 ecdsa-p256 ", 2: b"OfflineCash/1 ml-dsa-44 ", 3: b"OfflineCash/1 composite "}
TAG_CERT, TAG_NOTE, TAG_LINK = b"OC1/certificate", b"OC1/note", b"OC1/link"
TAG_POLICY, TAG_REVOCATION = b"OC1/policy", b"OC1/revocation"
FRAME_REQUEST, FRAME_PAYMENT, FRAME_RECEIPT = 0x01, 0x02, 0x04


def digest(tag: bytes, body) -> bytes:
    return hashlib.sha256(tag + cbor.encode(body)).digest()


def sign(key: p256.Key, tag: bytes, body) -> list:
    return [body, [1, key.sign(LABEL[1] + digest(tag, body))]]


def wallet_id(suite: int, public_key: bytes) -> bytes:
    return hashlib.sha256(b"OC1/wallet" + bytes([suite]) + public_key).digest()


def child_id(link_digest: bytes, index: int) -> bytes:
    return hashlib.sha256(b"OC1/child" + link_digest + bytes([index])).digest()


def issuer_key(key: p256.Key, key_id: int, not_before: int, not_after: int) -> bytes:
    return cbor.encode([1, key_id, [1, key.public], not_before, not_after])


def certificate(issuer: p256.Key, key_id: int, holder_public: bytes, customer: bytes, not_before: int,
                not_after: int, currency: str, per_payment: int, holding: int) -> list:
    body = [1, [1, holder_public], customer, not_before, not_after, currency, per_payment, holding, key_id]
    return sign(issuer, TAG_CERT, body)


def note(issuer: p256.Key, key_id: int, owner: bytes, amount: int, currency: str, issued_at: int,
         expires_at: int) -> list:
    return sign(issuer, TAG_NOTE, [1, secrets.token_bytes(16), currency, amount, owner, issued_at, expires_at, key_id])


def link(owner_key: p256.Key, parent: bytes, outputs: list, counter: int, payee_nonce: bytes, time: int) -> list:
    return sign(owner_key, TAG_LINK, [1, parent, outputs, counter, payee_nonce, time])


def policy(issuer: p256.Key, key_id: int, sequence: int, issued_at: int, currency: str, per_payment: int,
           holding: int, max_depth: int, cert_validity: int, max_payments: int) -> bytes:
    body = [1, key_id, sequence, issued_at, currency, per_payment, holding, max_depth, cert_validity, max_payments]
    return cbor.encode(sign(issuer, TAG_POLICY, body))


def revocation_list(issuer: p256.Key, key_id: int, sequence: int, issued_at: int, wallets: list) -> bytes:
    return cbor.encode(sign(issuer, TAG_REVOCATION, [1, key_id, sequence, issued_at, sorted(wallets)]))


def parse_request(frame: bytes) -> dict:
    """Reads the fields of a request frame (type 0x01) that a forger needs. Tolerates a signed
    request whose body is the documented array, wrapped as [body, signature]."""
    if not frame or frame[0] != FRAME_REQUEST:
        raise ValueError("not a request frame")
    item = cbor.decode(frame[1:])
    body = item
    if len(item) == 2 and isinstance(item[0], list):
        body = item[0]
    cert = body[1]
    holder = cert[0][1]
    return {
        "payee_certificate": cert,
        "payee": wallet_id(holder[0], holder[1]),
        "amount": body[2],
        "currency": body[3],
        "nonce": body[4],
        "time": body[5],
    }


def forged_payment(request: dict, amount: int, now: int, attacker: p256.Key, key_id: int) -> bytes:
    """A payment that pays `request` with a note minted under the attacker's key: the attacker
    certifies its own wallet and mints the note under that key, then spends it to the payee."""
    mallory = p256.Key()
    mallory_id = wallet_id(1, mallory.public)
    cert = certificate(attacker, key_id, mallory.public, b"mallory", now - 3600, now + 30 * 86400,
                       request["currency"], 10**9, 10**9)
    genesis = note(attacker, key_id, mallory_id, amount, request["currency"], now - 60, now + 365 * 86400)
    spend = link(mallory, digest(TAG_NOTE, genesis[0]), [[request["payee"], amount]], 1, request["nonce"], now)
    head = child_id(digest(TAG_LINK, spend[0]), 0)
    bundle = [1, [cert], [genesis], [spend], [head]]
    return bytes([FRAME_PAYMENT]) + cbor.encode([1, bundle])


def self_test() -> None:
    """Our encoder, digests and P-256 verifier agree with the published vectors."""
    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "vectors" / "token-p256.txt").read_text()
    vectors, name = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            name = line[3:].split(" (")[0]
            vectors[name] = ""
        elif name and line and not line.startswith("#"):
            vectors[name] += line.strip()
    raw = {k: bytes.fromhex(v) for k, v in vectors.items()}
    ikey = cbor.decode(raw["issuer key"])
    cert = cbor.decode(raw["alice certificate"])
    assert cbor.encode(cert) == raw["alice certificate"], "CBOR round trip"
    msg = LABEL[1] + digest(TAG_CERT, cert[0])
    assert p256.verify(ikey[2][1], msg, cert[1][1]), "certificate signature"
    holder = cert[0][1]
    assert wallet_id(holder[0], holder[1]) == raw["alice wallet id"], "wallet id"
    genesis = cbor.decode(raw["genesis note"])
    assert digest(TAG_NOTE, genesis[0]) == raw["genesis note id"], "note id"
    spend = cbor.decode(raw["spend link alice -> bob 300, change 700"])
    assert digest(TAG_LINK, spend[0]) == raw["spend link id"], "link id"
    assert child_id(raw["spend link id"], 0) == raw["bob's note id"], "child id"
    mine = p256.Key(int.from_bytes(os.urandom(31), "big") + 1)
    assert p256.verify(mine.public, b"x", mine.sign(b"x")), "own signature"
