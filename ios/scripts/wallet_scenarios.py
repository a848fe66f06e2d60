#!/usr/bin/env python3
"""The scenarios of ios/Tests/OfflineCashTests/WalletTapTests.swift, run here through the
Python bindings of the same library, so that what the Swift tests expect of the core is
checked on Linux too (the Swift itself is only compiled on a Mac).

   issuer (offline-cash-issuer serve, local port) ──register/fund──► two wallets
   reader session ──command bytes──► card session.process_apdu
                  ◄─response bytes──

Scenarios: both roles pay through byte arrays and the value is paid back; a tear at every
command (before and after the card answered) then a retry on NEW sessions, the payee's for the
same request, pays exactly once;
insufficient funds and a card payer that cannot pay are typed errors; receiving without an
amount is Misuse; garbage APDUs get the binding's status words; garbage responses are typed.

Needs bindings/generated/python (scripts/gen-bindings.sh, with the cdylib linked next to it,
as scripts/test-bindings.sh does) and the issuer binary (target/debug/offline-cash-issuer,
built by `cargo test --workspace`, or OFFLINE_CASH_ISSUER_BIN). Exits 1 on any failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, os.environ.get("OFFLINE_CASH_PY_BINDINGS", str(ROOT / "bindings/generated/python")))

import offline_cash_ffi as oc  # noqa: E402

ADMIN = "ios-scenarios-admin"
FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    if not ok:
        FAILURES.append(what)
        print(f"FAIL {what}", file=sys.stderr)


class StreamWrapper(oc.KeyWrapper):
    """Test-only authenticated wrapper (SHA-256 keystream, encrypt-then-MAC); the iOS app
    uses KeychainKeyWrapper (AES-GCM)."""

    def __init__(self) -> None:
        self.key = secrets.token_bytes(32)

    def _stream(self, nonce: bytes, n: int) -> bytes:
        out, block = b"", nonce
        while len(out) < n:
            block = hashlib.sha256(self.key + block).digest()
            out += block
        return out[:n]

    def wrap(self, secret: bytes) -> bytes:
        nonce = secrets.token_bytes(16)
        ct = bytes(a ^ b for a, b in zip(secret, self._stream(nonce, len(secret))))
        return nonce + ct + hmac.new(self.key, nonce + ct, "sha256").digest()

    def unwrap(self, wrapped: bytes) -> bytes:
        nonce, ct, tag = wrapped[:16], wrapped[16:-32], wrapped[-32:]
        if len(wrapped) < 48 or not hmac.compare_digest(tag, hmac.new(self.key, nonce + ct, "sha256").digest()):
            raise oc.KeyWrapperError.Failed("bad tag")
        return bytes(a ^ b for a, b in zip(ct, self._stream(nonce, len(ct))))


class Issuer:
    def __init__(self, binary: Path) -> None:
        self.dir = tempfile.mkdtemp(prefix="oc-ios-scenarios-")
        port = random.randint(20_000, 59_999)
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--db", f"{self.dir}/issuer.db", "--listen", f"127.0.0.1:{port}",
             "--admin-token", ADMIN],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):  # readiness, not a timing assertion
            try:
                if urllib.request.urlopen(self.url + "/health").status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"issuer did not come up at {self.url}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()

    def wallet(self, name: str, funds: tuple[int, ...] = ()) -> oc.Wallet:
        body = json.dumps({"customer_ref": f"{name}-{secrets.token_hex(4)}", "balance": sum(funds)}).encode()
        req = urllib.request.Request(self.url + "/v1/admin/accounts", data=body, headers={
            "Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
        credential = json.loads(urllib.request.urlopen(req).read())["credential"]
        config = oc.WalletConfig(issuer_url=self.url, account_credential=credential, suite=oc.Suite.ECDSA_P256,
                                 max_clock_skew_secs=300, request_ttl_secs=600)
        w = oc.Wallet.open_software(f"{self.dir}/{name}-{secrets.token_hex(4)}.db", config, StreamWrapper())
        asyncio.run(w.register())
        if funds:
            asyncio.run(w.fund(list(funds)))
        return w


def carry(reader, card, tear: tuple[int, bool] | None = None):
    """As `carry` in WalletTapTests.swift: the number of commands, or "torn"."""
    command, sent = reader.start(), 0
    while True:
        if tear and tear[0] == sent and not tear[1]:
            reader.torn(); card.deactivated()
            return "torn"
        response = card.process_apdu(command)
        if tear and tear[0] == sent:
            reader.torn(); card.deactivated()
            return "torn"
        sent += 1
        step = reader.handle_response(response)
        if not hasattr(step, "apdu"):
            return sent
        command = step.apdu


def sessions(payer, payee, amount: int, card: str, again: bytes | None = None):
    """A reader and a card session; `again`: the payee receives for that earlier request again
    (a retry after a tear: the payer resends a pending payment only for the request it answers)."""
    if card == "payee":
        payee_card = (payee.card_session_again(again, False) if again is not None
                      else payee.card_session(oc.NfcRole.PAYEE, amount, False))
        return (payer.reader_session(oc.NfcRole.PAYER, None, False, 261), payee_card)
    payee_reader = (payee.reader_session_again(again, False, 261) if again is not None
                    else payee.reader_session(oc.NfcRole.PAYEE, amount, False, 261))
    return (payee_reader, payer.card_session(oc.NfcRole.PAYER, None, False))


def payee_nonce(reader, card, card_side: str) -> bytes:
    """The request nonce of the payee's session of a tap."""
    return card.request_nonce() if card_side == "payee" else reader.request_nonce()


def scenarios(issuer: Issuer) -> None:
    for side in ("payee", "payer"):
        a, b = issuer.wallet("a", (1_000,)), issuer.wallet("b")
        reader, card = sessions(a, b, 300, side)
        commands = carry(reader, card)
        check(isinstance(commands, int) and commands >= 3, f"{side} is card: tap completes ({commands})")
        check(card.is_finished(), f"{side} is card: card finished")
        check((a.balance().spendable, a.balance().pending, b.balance().spendable) == (700, 0, 300),
              f"{side} is card: balances {a.balance()} {b.balance()}")
        back = sessions(b, a, 300, side)
        check(carry(*back) != "torn", f"{side} is card: paid back")
        check(a.balance().spendable == 1_000 and b.balance().total == 0, f"{side} is card: back balances")

        for at in range(int(commands)):
            for after in (False, True):
                label = f"{side} is card, tear at {at}, after answer {after}"
                a, b = issuer.wallet("a", (1_000,)), issuer.wallet("b")
                torn = sessions(a, b, 250, side)
                check(carry(*torn, tear=(at, after)) == "torn", f"{label}: torn")
                nonce = payee_nonce(*torn, side)
                ab, bb = a.balance(), b.balance()
                in_flight = ab.pending if bb.spendable == 0 else 0
                check(ab.spendable + in_flight + bb.spendable == 1_000, f"{label}: conserved {ab} {bb}")
                if not (bb.spendable == 250 and ab.pending == 0):
                    try:
                        check(carry(*sessions(a, b, 250, side, again=nonce)) != "torn", f"{label}: retry")
                    except oc.OfflineCashError as e:
                        check(False, f"{label}: retry failed {e!r}")
                ab, bb = a.balance(), b.balance()
                check((ab.spendable, ab.pending, bb.spendable) == (750, 0, 250) and not a.pending_payments(),
                      f"{label}: after retry {ab} {bb}")

    a, b = issuer.wallet("a", (100,)), issuer.wallet("b")
    try:
        carry(*sessions(a, b, 500, "payee"))
        check(False, "insufficient funds: no error")
    except oc.OfflineCashError.InsufficientFunds:
        pass
    reader, card = sessions(a, b, 500, "payer")
    try:
        carry(reader, card)
        check(False, "card payer without funds: no error")
    except oc.OfflineCashError:
        pass
    check(card.last_error() is not None and not card.is_finished(), "card payer without funds: lastError")
    check(a.balance().spendable == 100 and b.balance().total == 0, "nothing moved")
    try:
        b.card_session(oc.NfcRole.PAYEE, None, False)
        check(False, "receiving without an amount: no error")
    except oc.OfflineCashError.Misuse:
        pass

    card = b.card_session(oc.NfcRole.PAYEE, 100, False)
    for command, sw in (([0x80, 0x10, 0, 0, 0], "6985"), ([0xFF, 0x10, 0, 0], "6e00"), ([0x00], "6700"),
                        ([0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x00], "6a82")):
        got = card.process_apdu(bytes(command))[-2:].hex()
        check(got == sw, f"status word of {bytes(command).hex()}: {got}, expected {sw}")
    reader = a.reader_session(oc.NfcRole.PAYER, None, False, 261)
    reader.start()
    for garbage in (b"", b"\x90", b"\xab" * 40):
        try:
            reader.handle_response(garbage)
            check(False, f"garbage response {garbage.hex()} accepted")
        except oc.OfflineCashError:
            pass


def main() -> int:
    default = ROOT / "target/debug/offline-cash-issuer"
    binary = Path(os.environ.get("OFFLINE_CASH_ISSUER_BIN", default))
    if not binary.is_file():
        print(f"wallet scenarios: {binary} missing (cargo build -p offline-cash-issuer)", file=sys.stderr)
        return 1
    issuer = Issuer(binary)
    try:
        scenarios(issuer)
    finally:
        issuer.stop()
    if FAILURES:
        print(f"ios wallet scenarios: {len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("ios wallet scenarios: both roles, tears at every command with retry, typed errors: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
