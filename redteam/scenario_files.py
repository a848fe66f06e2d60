"""Scenarios 1–5: the happy path, and altered or replayed request, payment and receipt files."""

import forge
import cbor


def total(w):
    spendable, pending = w.balance()
    return spendable + pending


def conserved(world, wallets):
    """Accounts plus wallets equal what the accounts started with, and the issuer's audit agrees."""
    audit = world.issuer.audit()
    held = sum(total(w) for w in wallets)
    ok = audit.get("balanced") and audit.get("accounts_balanced") and \
        audit["account_balances"] + held == audit["account_initial"]
    return ok, (f"accounts {audit['account_balances']} + wallets {held} vs initial {audit['account_initial']}, "
                f"balanced={audit.get('balanced')} accounts_balanced={audit.get('accounts_balanced')}")


def happy_path(world, report):
    a = world.wallet("alice", balance=5000, fund=2000)
    b = world.wallet("bob")
    c = world.wallet("carol")
    steps = [(a, b, 700), (b, c, 300), (c, a, 100)]
    for payer, payee, amount in steps:
        ok, why, _ = world.pay(payer, payee, amount)
        if not ok:
            report.check("happy.pay_chain", False, why)
            break
    else:
        report.check("happy.pay_chain", [total(w) for w in (a, b, c)] == [1400, 400, 200],
                     f"alice→bob 700, bob→carol 300, carol→alice 100: totals {[total(w) for w in (a, b, c)]}")
    failures = [f"{w.name}: {r.brief()}" for w in (c, b, a) for r in [w.sync()] if not r.ok]
    ok, why = conserved(world, (a, b, c))
    report.check("happy.sync_audit_conserves", ok and not failures, "; ".join(failures) or why)


def fresh_pair(world, tag, fund=3000):
    """A funded payer (its own account, all funded) and a payee."""
    payer = world.wallet(f"payer-{tag}", balance=fund, fund=fund)
    payee = world.wallet(f"payee-{tag}")
    return payer, payee


def mutate_at(data: bytes, needle: bytes, replacement: bytes):
    if data.count(needle) != 1:
        return None
    return data.replace(needle, replacement)


def altered_requests(world, report):
    payee = world.wallet("payee-altreq")
    req = world.file("request")
    run = payee.request(1234, req)
    if not run.ok:
        report.check("request.altered_amount_refused", False, f"request: {run.brief()}")
        return
    raw = req.read_bytes()
    try:
        fields = forge.parse_request(raw)
    except (ValueError, IndexError, TypeError) as e:
        report.check("request.altered_amount_refused", False, f"cannot read the request as PROTOCOL.md §5 says: {e}")
        return
    variants = {
        "amount 1234→4321": mutate_at(raw, cbor.encode(1234), cbor.encode(4321)),
        "nonce byte": mutate_at(raw, cbor.encode(fields["nonce"]),
                                cbor.encode(bytes([fields["nonce"][0] ^ 0x55]) + fields["nonce"][1:])),
        "time −1 day": mutate_at(raw, cbor.encode(fields["time"]), cbor.encode(fields["time"] - 86400)),
    }
    paid = []
    for i, (label, data) in enumerate(variants.items()):
        payer = world.wallet(f"payer-altreq{i}", balance=20000, fund=20000)
        if data is None:
            paid.append(f"{label}: field not found once in the file")
            continue
        bad = world.file("request-altered")
        bad.write_bytes(data)
        before = payer.balance()
        run = payer.pay(bad, world.file("payment"))
        after = payer.balance()
        if run.ok or after != before:
            paid.append(f"{label}: pay rc={run.rc}, balance {before}→{after}")
    name = "request.altered_amount_refused"
    amount_paid = [p for p in paid if p.startswith("amount")]
    report.check(name, not amount_paid, amount_paid[0] if amount_paid else "payer refused an altered amount, nothing pending")
    others = [p for p in paid if not p.startswith("amount")]
    report.check("request.altered_field_refused", not others,
                 "; ".join(others) if others else "payer refused an altered nonce and time, nothing pending")


def replayed_request(world, report):
    payer, payee = fresh_pair(world, "replay")
    req, pay1, pay2, rec = (world.file(s) for s in ("request", "payment", "payment-again", "receipt"))
    steps = [payee.request(300, req), payer.pay(req, pay1), payer.pay(req, pay2)]
    if not all(r.ok for r in steps[:2]):
        report.check("request.replay_while_pending", False, "; ".join(r.brief() for r in steps))
        return
    same = steps[2].ok and pay2.read_bytes() == pay1.read_bytes()
    spendable, pending = payer.balance()
    report.check("request.replay_while_pending", (same or not steps[2].ok) and (spendable, pending) == (2700, 300),
                 f"second pay of a pending request: rc={steps[2].rc}, same bytes={same}, balance {spendable}/{pending}")
    if not (payee.accept(pay1, rec).ok and payer.complete(rec).ok):
        report.check("request.replay_after_complete_refused", False, "first payment did not complete")
        return
    before = payer.balance()
    run = payer.pay(req, world.file("payment-replay"))
    after = payer.balance()
    report.check("request.replay_after_complete_refused", not run.ok and after == before,
                 f"paying a request already paid: rc={run.rc}, balance {before}→{after}")
    pending_resent_elsewhere(world, report)


def pending_resent_elsewhere(world, report):
    """A pending payment is resent only to the request it answers, never as the answer to another."""
    payer, payee = fresh_pair(world, "resend")
    r1, r2, p1, p2 = (world.file(s) for s in ("request-1", "request-2", "payment-1", "payment-2"))
    if not (payee.request(100, r1).ok and payer.pay(r1, p1).ok and payee.request(250, r2).ok):
        report.check("request.pending_not_resent_to_another_request", False, "setup failed")
        return
    run = payer.pay(r2, p2)
    resent = run.ok and p2.read_bytes() == p1.read_bytes()
    accepted = payee.accept(p2, world.file("receipt")) if run.ok else None
    report.check("request.pending_not_resent_to_another_request", not resent and (not run.ok or accepted.ok),
                 f"a second request (250) while 100 is pending: pay rc={run.rc}, the old payment written again={resent}"
                 + (f", payee: {accepted.brief()[:80]}" if accepted and not accepted.ok else ""))


REASON_WORDS = ("malformed", "forged", "altered", "wrong_owner", "wrong owner", "unknown_parent", "unknown parent",
                "amount_mismatch", "amount mismatch", "zero_amount", "expired", "not_yet_valid", "not yet valid",
                "revoked", "too_deep", "currency", "double_spend", "double spend", "unknown_certificate",
                "unreferenced", "wrong_payee", "wrong payee", "requested_amount_mismatch", "replayed",
                "not_bound_to_request", "over_limit", "certificate", "bad_receipt", "truncated", "non-canonical",
                "noncanonical", "trailing", "too large", "unknown version", "signature")


def typed(run):
    text = (run.err + run.out).lower()
    return any(w in text for w in REASON_WORDS)


def flips(data: bytes, count=6):
    """Copies of data with one byte flipped, at positions spread over the file (never byte 0)."""
    positions = sorted({1 + (len(data) - 2) * i // (count - 1) for i in range(count)})
    out = []
    for p in positions:
        d = bytearray(data)
        d[p] ^= 0x01
        out.append((p, bytes(d)))
    return out


def altered_payment_and_receipt(world, report):
    payer, payee = fresh_pair(world, "altpay")
    req, pay, rec = world.file("request"), world.file("payment"), world.file("receipt")
    if not (payee.request(400, req).ok and payer.pay(req, pay).ok):
        report.check("payment.altered_refused", False, "setup: request/pay failed")
        return
    payee_before = payee.balance()
    bad, untyped = [], []
    for pos, data in flips(pay.read_bytes(), 8):
        f = world.file(f"payment-flip{pos}")
        f.write_bytes(data)
        run = payee.accept(f, world.file("receipt-of-altered"))
        if run.ok or payee.balance() != payee_before:
            bad.append(f"byte {pos}: accepted (rc={run.rc})")
        elif not typed(run):
            untyped.append(f"byte {pos}: '{run.brief().split(': ', 1)[-1][-60:]}'")
    report.check("payment.altered_refused", not bad, "; ".join(bad) or "8 one-byte alterations refused, payee unchanged")
    report.check("payment.altered_reason_typed", not untyped,
                 f"{len(untyped)} of 8 refusals name no reason of PROTOCOL.md §6: " + "; ".join(untyped[:2])
                 if untyped else "every refusal names a reason of PROTOCOL.md §6")
    run = payee.accept(pay, rec)
    report.check("payment.altered_does_not_burn_request", run.ok,
                 "the genuine payment is still accepted after altered copies" if run.ok else run.brief())
    if not run.ok:
        return
    bad = []
    pending_before = payer.balance()
    for pos, data in flips(rec.read_bytes(), 6):
        f = world.file(f"receipt-flip{pos}")
        f.write_bytes(data)
        run = payer.complete(f)
        if payer.balance() != pending_before:
            bad.append(f"byte {pos}: completed (rc={run.rc})")
    ok = payer.complete(rec).ok and payer.balance() == (2600, 0)
    report.check("receipt.altered_refused", not bad and ok,
                 "; ".join(bad) or ("6 altered receipts refused, genuine one completes" if ok else "genuine receipt did not complete"))
    replay_accept(world, report, payee, pay, rec)


def replay_accept(world, report, payee, pay, rec):
    before = payee.balance()
    again = world.file("receipt-again")
    run = payee.accept(pay, again)
    after = payee.balance()
    report.check("payment.replay_credited_once", after == before, f"accept of the same payment again: balance {before}→{after}")
    same = run.ok and again.is_file() and again.read_bytes() == rec.read_bytes()
    report.check("payment.replay_returns_stored_receipt", same,
                 "the stored receipt is handed back" if same else f"accept again: {run.brief()}")


def run_all(world, report):
    happy_path(world, report)
    altered_requests(world, report)
    replayed_request(world, report)
    altered_payment_and_receipt(world, report)
    redirected_payment(world, report)
    over_the_limits(world, report)
    skewed_sync(world, report)


def redirected_payment(world, report):
    """A payment made for bob is handed to carol instead."""
    payer, payee = fresh_pair(world, "redirect")
    third = world.wallet("third-party")
    req, pay = world.file("request"), world.file("payment")
    if not (payee.request(200, req).ok and payer.pay(req, pay).ok):
        report.check("payment.redirected_refused", False, "setup: request/pay failed")
        return
    third.request(200, world.file("request-of-third"))  # carol has an open request of the same amount
    before = third.balance()
    run = third.accept(pay, world.file("receipt"))
    report.check("payment.redirected_refused", not run.ok and third.balance() == before,
                 f"carol given bob's payment: {run.brief()}")


def over_the_limits(world, report):
    """What the payee is bound to refuse, the payer refuses before committing (issue 14 item 5):
    an amount over the per-payment limit (50,000, `offline-cash-issuer serve --help`), and a chain
    deeper than the policy's max_chain_depth (32, PROTOCOL.md §8)."""
    payer = world.wallet("big-payer", balance=100_000, fund=100_000)
    payee = world.wallet("big-payee")
    req = world.file("request")
    asked = payee.request(60_000, req)
    paid = payer.pay(req, world.file("payment")) if asked.ok else None
    ok = not asked.ok or (not paid.ok and payer.balance() == (100_000, 0))
    report.check("limits.over_per_payment_refused_before_commit", ok,
                 "request for 60,000: " + (f"refused by the payee ({asked.brief()[:80]})" if not asked.ok else
                                           f"pay rc={paid.rc}, payer {payer.balance()}"))
    a = world.wallet("deep-a", balance=100, fund=100)
    b = world.wallet("deep-b")
    pair, depth = (a, b), 0
    for depth in range(1, 40):
        payer, payee = pair[(depth - 1) % 2], pair[depth % 2]
        before = payer.balance()
        ok, why, _ = world.pay(payer, payee, 100)
        if not ok:
            refused_before = payer.balance() == before
            report.check("limits.deep_chain_refused_before_commit", refused_before,
                         f"payment at depth {depth}: {why[:140]}; payer {before}→{payer.balance()}")
            return
    report.check("limits.deep_chain_refused_before_commit", False, f"a chain of depth {depth} was accepted (limit 32)")


def skewed_sync(world, report):
    """A phone whose clock is 10 minutes off syncs (the issuer allows ±300 s): the error says so."""
    w = world.wallet("skewed-sync", balance=100, fund=100)
    run = w.cli("wallet", "sync", "--dir", w.dir, skew=600)
    text = (run.err + run.out).lower()
    clear = any(word in text for word in ("clock", "timestamp", "time window", "skew"))
    report.check("clock.sync_with_skewed_clock_says_so", not run.ok and clear and "network" not in text,
                 f"sync with the clock +10 min: {run.brief()}")
