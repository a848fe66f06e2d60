"""Smoke test of the generated Python bindings against the host cdylib.

Run by scripts/test-bindings.sh after scripts/gen-bindings.sh, which writes the module to
bindings/generated/python/ and links the cdylib next to it (the generated module loads
liboffline_cash_ffi from its own directory). Standard library only; the check_signer test
uses the `cryptography` package when it is installed and is skipped otherwise.

Prints one line per test and closes with "N passed, N failed"; exits non-zero on a failure.
"""

import hashlib
import hmac
import os
import secrets
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("OFFLINE_CASH_PY_BINDINGS", os.path.join(HERE, "..", "..", "generated", "python")))

import offline_cash_ffi as oc  # noqa: E402


class HmacStreamWrapper(oc.KeyWrapper):
    """A test-only authenticated wrapper from the standard library: an HMAC-SHA256 keystream
    (counter mode) with encrypt-then-MAC. Layout: 16-byte nonce | ciphertext | 32-byte tag.
    Real apps use their platform keystore (Android Keystore AES-GCM, iOS Keychain)."""

    def __init__(self, key=None):
        key = key or secrets.token_bytes(32)
        self._enc = hmac.new(key, b"enc", hashlib.sha256).digest()
        self._mac = hmac.new(key, b"mac", hashlib.sha256).digest()

    def _stream(self, nonce, length):
        out = b""
        counter = 0
        while len(out) < length:
            out += hmac.new(self._enc, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
        return out[:length]

    def wrap(self, secret):
        nonce = secrets.token_bytes(16)
        body = bytes(a ^ b for a, b in zip(secret, self._stream(nonce, len(secret))))
        tag = hmac.new(self._mac, nonce + body, hashlib.sha256).digest()
        return nonce + body + tag

    def unwrap(self, wrapped):
        if len(wrapped) < 48:
            raise oc.KeyWrapperError.Failed(detail="wrapped key too short")
        nonce, body, tag = wrapped[:16], wrapped[16:-32], wrapped[-32:]
        expected = hmac.new(self._mac, nonce + body, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, expected):
            raise oc.KeyWrapperError.Failed(detail="wrapped key does not authenticate")
        return bytes(a ^ b for a, b in zip(body, self._stream(nonce, len(body))))


SUITES = [oc.Suite.ECDSA_P256, oc.Suite.ML_DSA44, oc.Suite.COMPOSITE_ML_DSA44_ECDSA_P256]
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


def expect(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        return e
    except Exception as e:  # noqa: BLE001 - report the wrong type as a failure
        raise AssertionError(f"expected {exc_type.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"expected {exc_type.__name__}, nothing was raised")


@test
def software_key_wraps_and_unwraps_for_every_suite():
    wrapper = HmacStreamWrapper()
    for suite in SUITES:
        key = oc.SoftwareKey.generate(suite)
        blob = key.wrap(wrapper)
        restored = oc.SoftwareKey.unwrap(blob, wrapper)
        assert restored.suite() == suite, suite
        assert restored.public_key() == key.public_key(), suite
        assert restored.wallet_id() == key.wallet_id(), suite
        assert len(key.wallet_id()) == 64 and int(key.wallet_id(), 16) >= 0


@test
def unwrapping_with_another_wrapper_key_is_key_wrap_error():
    blob = oc.SoftwareKey.generate(oc.Suite.ECDSA_P256).wrap(HmacStreamWrapper())
    e = expect(oc.OfflineCashError.KeyWrap, oc.SoftwareKey.unwrap, blob, HmacStreamWrapper())
    assert "does not authenticate" in e.detail, e.detail


@test
def a_wrapper_raising_an_arbitrary_exception_is_a_typed_error():
    class Broken(oc.KeyWrapper):
        def wrap(self, secret):
            raise RuntimeError("keystore gone")

        def unwrap(self, wrapped):
            raise RuntimeError("keystore gone")

    expect(oc.OfflineCashError.KeyWrap, oc.SoftwareKey.generate(oc.Suite.ML_DSA44).wrap, Broken())


@test
def garbage_and_truncated_blobs_are_typed_errors():
    wrapper = HmacStreamWrapper()
    for n in range(0, 300, 3):
        expect(oc.OfflineCashError, oc.SoftwareKey.unwrap, secrets.token_bytes(n), wrapper)
    blob = oc.SoftwareKey.generate(oc.Suite.ECDSA_P256).wrap(wrapper)
    for cut in range(len(blob)):
        expect(oc.OfflineCashError, oc.SoftwareKey.unwrap, blob[:cut], wrapper)
    expect(oc.OfflineCashError.Malformed, oc.SoftwareKey.unwrap, blob + b"\x00", wrapper)


@test
def a_signer_with_garbage_public_key_is_signer_error():
    class Garbage(oc.Signer):
        def public_key(self):
            return secrets.token_bytes(65)

        def sign(self, message):
            return secrets.token_bytes(70)

    expect(oc.OfflineCashError.Signer, oc.check_signer, Garbage())


@test
def check_signer_with_a_python_p256_signer():
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError as e:
        raise Skip("the `cryptography` package is not installed") from e

    class PySigner(oc.Signer):
        def __init__(self, sign_with, report=None):
            self._sk = sign_with
            self._pk = (report or sign_with).public_key()

        def public_key(self):
            return self._pk.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

        def sign(self, message):
            return self._sk.sign(message, ec.ECDSA(hashes.SHA256()))  # DER

    report = oc.check_signer(PySigner(ec.generate_private_key(ec.SECP256R1())))
    assert report.suite == oc.Suite.ECDSA_P256 and len(report.wallet_id) == 64, report
    wrong = PySigner(ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1()))
    expect(oc.OfflineCashError.Signer, oc.check_signer, wrong)


def _issuer():
    url, token = os.environ.get("OC_ISSUER_URL"), os.environ.get("OC_ADMIN_TOKEN")
    if not url or not token:
        raise AssertionError("OC_ISSUER_URL / OC_ADMIN_TOKEN not set (scripts/test-bindings.sh sets them)")
    return url, token


CREDENTIALS = {}  # wallet name -> its account credential


def _wallet(name, notes):
    import asyncio
    import json
    import tempfile
    import urllib.request

    url, token = _issuer()
    body = json.dumps({"customer_ref": f"py-{name}-{secrets.token_hex(6)}", "balance": sum(notes)}).encode()
    req = urllib.request.Request(
        url + "/v1/admin/accounts",
        data=body,
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        credential = json.loads(resp.read())["credential"]
    CREDENTIALS[name] = credential
    config = oc.WalletConfig(
        issuer_url=url,
        account_credential=credential,
        suite=oc.Suite.ML_DSA44,
        max_clock_skew_secs=300,
        request_ttl_secs=600,
    )
    path = os.path.join(tempfile.mkdtemp(prefix="oc-py-"), name + ".db")
    wallet = oc.Wallet.open_software(path, config, HmacStreamWrapper())

    async def provision():
        await wallet.register()
        if notes:
            await wallet.fund(notes)

    asyncio.run(provision())
    return wallet


@test
def payment_between_two_wallets_with_payee_and_payer_session_frames():
    alice = _wallet("alice", [500])
    bob = _wallet("bob", [])
    request = bob.request_payment(120)
    payer = alice.pay()
    payment = payer.handle_frame(request.request_bytes())  # e.g. read from a QR code
    receipt = request.handle_frame(payment)
    assert payer.handle_frame(receipt) is None and payer.is_complete()
    assert bob.balance().spendable == 120, bob.balance()
    assert alice.balance() == oc.Balance(spendable=380, pending=0, refreshing=0, depositing=0, total=380), alice.balance()
    # The same payment bytes again are not a second payment.
    expect(oc.OfflineCashError, request.handle_frame, payment)
    assert bob.balance().spendable == 120
    # Garbage frames are typed errors.
    for size in (0, 1, 7, 64, 4096):
        expect(oc.OfflineCashError, bob.pay().handle_frame, secrets.token_bytes(size))
        expect(oc.OfflineCashError, bob.request_payment(5).handle_frame, secrets.token_bytes(size))


@test
def a_wallet_registered_without_evidence_is_software_and_refused_evidence_is_typed():
    import asyncio

    url, _ = _issuer()
    wallet = _wallet("tier-phone", [])
    assert wallet.tier() == oc.Tier.SOFTWARE, wallet.tier()
    challenge = asyncio.run(oc.attestation_challenge(url, CREDENTIALS["tier-phone"]))
    assert len(challenge.challenge) == 32 and challenge.expires_at > 0, challenge
    evidence = oc.AttestationEvidence.ANDROID(chain=[b"not a certificate"])
    try:
        asyncio.run(wallet.register_attested(challenge.challenge, evidence))
        raise AssertionError("the reference issuer has no verifier: evidence must be refused")
    except oc.OfflineCashError.IssuerRefused as e:
        assert e.reason == oc.Reason.ATTESTATION_REFUSED, e
    assert wallet.tier() == oc.Tier.SOFTWARE


@test
def a_saved_request_is_shared_as_a_uri_and_paid_from_it():
    alice = _wallet("uri-alice", [500])
    bob = _wallet("uri-bob", [])
    saved = bob.request_payment_saved(120)
    assert saved.uri.startswith("offlinecash:R"), saved.uri  # for a QR code, a tag, a link
    payer = alice.pay()
    payment = payer.handle_request_uri(saved.uri)
    assert oc.payment_request_nonce(payment) == saved.session.nonce()
    reopened = bob.resume_request(saved.saved)  # e.g. in another process
    assert payer.handle_frame(reopened.handle_frame(payment)) is None and payer.is_complete()
    assert bob.balance().spendable == 120, bob.balance()
    expect(oc.OfflineCashError.Rejected, alice.pay().handle_request_uri, "offlinecash:R0")
    expect(oc.OfflineCashError, bob.resume_request, b"\x01\x02")


@test
def a_compact_uri_is_paid_by_a_regular_and_refused_to_a_stranger():
    regular = _wallet("curi-regular", [500])
    stranger = _wallet("curi-stranger", [500])
    shop = _wallet("curi-shop", [])
    first = shop.request_payment_saved(10)  # the regular met the shop: it keeps its certificate
    met = regular.pay()
    met.handle_frame(first.session.handle_frame(met.handle_request_uri(first.uri)))
    saved = shop.request_payment_saved(120)
    compact = saved.session.compact_request_uri()  # one QR code in every suite
    assert compact.startswith("offlinecash:C") and len(compact) < len(saved.uri), compact
    try:
        stranger.pay().handle_request_uri(compact)
        raise AssertionError("a stranger does not hold the shop's certificate")
    except oc.OfflineCashError.Rejected as e:
        assert e.reason == oc.Reason.UNKNOWN_CERTIFICATE, e  # tell the user: scan the full code
    assert stranger.balance().spendable == 500 and stranger.balance().pending == 0
    payer = regular.pay()
    assert payer.handle_frame(saved.session.handle_frame(payer.handle_request_uri(compact))) is None
    assert shop.balance().spendable == 130, shop.balance()


@test
def a_lost_phone_is_reported_from_elsewhere_with_the_account_credential():
    import asyncio

    url, _ = _issuer()
    phone = _wallet("lost-phone", [300])
    report = asyncio.run(oc.report_lost(url, CREDENTIALS["lost-phone"], phone.id()))
    assert report.wallet_id == phone.id() and report.held_known == 300, report
    assert report.returns_at > report.reported_at, report
    assert asyncio.run(oc.report_lost(url, CREDENTIALS["lost-phone"], phone.id())) == report, "answered once"
    try:
        asyncio.run(oc.report_lost(url, "not-a-credential", phone.id()))
        raise AssertionError("a wrong credential was accepted")
    except oc.OfflineCashError.IssuerRefused as e:
        assert e.reason == oc.Reason.UNAUTHORIZED and e.status == 401, e
    expect(oc.OfflineCashError, lambda: asyncio.run(oc.report_lost(url, CREDENTIALS["lost-phone"], "12ab")))
    # The phone itself (if found again) syncs and sees its renewal refused as revoked once due;
    # right after provisioning no renewal is due.
    r = asyncio.run(phone.sync())
    assert r.renewed_until is None and r.renewal_refused is None, r


@test
def refresh_defund_and_deposit_through_the_facade():
    import asyncio

    carol = _wallet("carol", [1000])

    async def flows():
        refreshed = await carol.refresh(True)
        assert refreshed is not None and (refreshed.done, refreshed.returned) == (1000, 0), refreshed
        assert await carol.refresh(False) is None, "nothing due right after a refresh"
        defunded = await carol.defund(300)
        assert defunded.done == 300 and defunded.account_balance == 300, defunded
        detail = carol.balance_detail()
        assert (detail.spendable_now, detail.total, detail.waiting_expired) == (700, 700, 0), detail
        deposited = await carol.deposit_all()
        assert deposited is not None and deposited.done == 700, deposited
        report = await carol.sync()
        assert report.refreshed == 0 and report.expired_returned == 0, report

    asyncio.run(flows())
    assert carol.balance().total == 0, carol.balance()
    assert carol.check_lifecycle() == 0


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
        except Skip as e:
            print(f"skip {fn.__name__}: {e}")
            continue
        except Exception:  # noqa: BLE001 - a test runner reports every failure
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc(file=sys.stdout)
            continue
        passed += 1
        print(f"ok   {fn.__name__}")
    if passed + failed == 0:
        failed = 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
