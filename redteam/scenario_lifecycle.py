"""Scenario 10: the value lifecycle from outside — refresh, deposit and defund through a hostile
network (answers lost, fresh notes duplicated or replayed by the proxy), careless defunds, and a
lost phone (reported by a stranger, then by its owner; the thief keeps paying; the value comes
back once when the offline window has closed). Written from the CLI's --help, the issuer README
("The policy", "Operations") and issuer/openapi.json."""

import json

from world import DAY


def wallet_hex(w):
    """The wallet id `wallet register` printed."""
    for run in reversed(w.world.runs):
        if "register" in run.argv and str(w.dir) in run.argv and run.ok:
            return run.out.split()[2]
    raise RuntimeError(f"{w.name}: no register output")


def totals(w):
    """(total, payable now) as `wallet balance` prints them."""
    run = w.balance_run()
    if not run.ok:
        raise RuntimeError(f"{w.name} balance: {run.brief()}")
    numbers = {}
    for line in run.out.splitlines():
        words = line.split()
        if words[:1] == ["total"]:
            numbers["total"] = int(words[-1])
        if words[:2] == ["payable", "now"]:
            numbers["payable"] = int(words[2])
    return numbers.get("total"), numbers.get("payable")


def answer_hook(change):
    """A proxy hook applying `change(results)` to every /v1/sync answer's results that carry
    fresh notes (a refresh's answer); counts what it changed."""

    def hook(method, path, status, body):
        if status != 200 or path != "/v1/sync":
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        results = answer.get("results") or []
        if any(r.get("fresh_notes") for r in results):
            hook.seen.append([list(r.get("fresh_notes") or []) for r in results])
            if change(results):
                hook.changed += 1
        return json.dumps(answer).encode()

    hook.changed = 0
    hook.seen = []
    return hook


def lost_answers(method, path, status, body):
    """The network loses every sync answer (after the issuer committed it)."""
    if path == "/v1/sync" and status == 200:
        return b"<html>502 Bad Gateway</html>"
    return body


def refresh_under_attack(world, report):
    alice = world.wallet("alice-lc", balance=10_000, fund=3_000)
    total0, _ = totals(alice)
    audit0 = world.issuer.audit()

    def duplicate(results):
        changed = False
        for r in results:
            if r.get("fresh_notes"):
                r["fresh_notes"] = r["fresh_notes"] * 2
                changed = True
        return changed

    world.proxy.rewrite = hook = answer_hook(duplicate)
    run = alice.w("refresh", "--all")
    world.proxy.rewrite = None
    total1, _ = totals(alice)
    report.check("lifecycle.duplicated_fresh_notes_mint_nothing",
                 hook.changed > 0 and total1 == total0,
                 f"the proxy doubled the fresh notes of a refresh answer ({hook.changed} answers): "
                 f"refresh {run.brief()}; total {total0} -> {total1}")
    sync = alice.sync()
    total2, payable2 = totals(alice)
    audit = world.issuer.audit()
    report.check("lifecycle.refresh_finishes_after_a_rewritten_answer",
                 sync.ok and total2 == total0 and payable2 == total0 and audit["balanced"]
                 and audit["issued"] - audit0["issued"] == audit["refreshed"] - audit0["refreshed"],
                 f"after the genuine answer (sync {sync.brief()}): total {total2}, payable {payable2}, "
                 f"issued +{audit['issued'] - audit0['issued']}, refreshed +{audit['refreshed'] - audit0['refreshed']}")

    # Replay: the fresh notes of the refresh that just finished, offered as the answer to the next.
    genuine = [notes for answer in hook.seen for notes in answer if notes]
    if not genuine:
        report.check("lifecycle.replayed_fresh_notes_refused", False, "no refresh answer was seen to replay")
        return alice

    def replay(results):
        changed = False
        for r in results:
            if r.get("fresh_notes"):
                r["fresh_notes"] = genuine[0]
                changed = True
        return changed

    world.proxy.rewrite = hook2 = answer_hook(replay)
    run = alice.w("refresh", "--all")
    world.proxy.rewrite = None
    total3, _ = totals(alice)
    alice.sync()
    total4, payable4 = totals(alice)
    report.check("lifecycle.replayed_fresh_notes_refused",
                 hook2.changed > 0 and total3 == total0 and total4 == total0 and payable4 == total0,
                 f"the proxy answered a refresh with the previous refresh's fresh notes: refresh {run.brief()}; "
                 f"total {total3}, after a genuine sync {total4} (payable {payable4}), expected {total0}")
    return alice


def defund_under_attack(world, report, alice):
    total0, payable0 = totals(alice)
    audit0 = world.issuer.audit()
    too_much = alice.w("defund", "--amount", payable0 + 1)
    zero = alice.w("defund", "--amount", 0)
    total1, _ = totals(alice)
    report.check("lifecycle.careless_defund_moves_nothing",
                 not too_much.ok and not zero.ok and total1 == total0
                 and world.issuer.audit()["deposited"] == audit0["deposited"],
                 f"defund {payable0 + 1} of {payable0}: {too_much.brief()}; defund 0: {zero.brief()}")

    amount = 1_234  # not a sum of whole notes: the issuer splits one first
    world.proxy.rewrite = lost_answers
    lost = alice.w("defund", "--amount", amount)
    world.proxy.rewrite = None
    pending = alice.w("pending")
    # The wallet asks again (sync resumes what is open), until the defund is through.
    for _ in range(3):
        alice.sync()
        if world.issuer.audit()["deposited"] > audit0["deposited"] or alice.w("pending").out.strip() == "nothing pending":
            break
    deposited = world.issuer.audit()["deposited"] - audit0["deposited"]
    if deposited == 0:
        # the split finished but the deposit never started (the CLI said so): ask again
        again = alice.w("defund", "--amount", amount)
        deposited = world.issuer.audit()["deposited"] - audit0["deposited"]
    else:
        again = None
    total2, payable2 = totals(alice)
    audit = world.issuer.audit()
    report.check("lifecycle.defund_with_lost_answers_credits_once",
                 not lost.ok and deposited == amount and total2 == total0 - amount and payable2 == total2
                 and audit["balanced"] and audit["accounts_balanced"],
                 f"answers lost ({lost.brief()}; pending: {pending.out.strip()[:80]}); "
                 + (f"asked again: {again.brief()}; " if again else "")
                 + f"deposited {deposited} for {amount}; total {total0} -> {total2}, payable {payable2}")


def lost_phone(world, report):
    bob = world.wallet("bob-lc", balance=5_000, fund=2_000)
    carol, dave = world.wallet("carol-lc"), world.wallet("dave-lc")
    mallory = world.wallet("mallory-lc", balance=100)
    bob_id = wallet_hex(bob)
    stranger = carol.cli("issuer", "report-lost", "--issuer", world.proxy.url, "--credential", mallory.credential,
                         "--wallet", bob_id)
    report.check("lifecycle.stranger_cannot_report_a_wallet_lost",
                 not stranger.ok and not any(r.startswith(bob_id[:16]) for r in world.issuer.revoked()),
                 f"mallory reports bob's wallet with her credential: {stranger.brief()}")
    status, body = world.issuer.http("POST", f"/v1/wallets/{bob_id}/lost",
                                     {"second_factor": "000000"}, token=bob.credential)
    report.check("lifecycle.unsupported_second_factor_refused",
                 status == 400 and not any(r.startswith(bob_id[:16]) for r in world.issuer.revoked()),
                 f"a report carrying a second factor the issuer cannot check: {status} {str(body)[:100]}")
    # Before the loss: bob pays carol (and syncs, so the issuer knows), then dave (no sync after).
    ok1, why1, _ = world.pay(bob, carol, 300)
    bob.sync()
    ok2, why2, _ = world.pay(bob, dave, 100)
    owner = carol.cli("issuer", "report-lost", "--issuer", world.proxy.url, "--credential", bob.credential,
                      "--wallet", bob_id)
    carol.sync()
    before = totals(carol)[0]
    late_ok, late_why, _ = world.pay(bob, carol, 200)  # the thief pays a payee that synced since
    after = totals(carol)[0]
    report.check("lifecycle.lost_wallet_refused_by_a_synced_payee",
                 ok1 and ok2 and owner.ok and not late_ok and after == before and "revoked" in late_why.lower(),
                 f"before the report: {why1 or why2 or 'paid'}; report: {owner.brief()}; "
                 f"after: {late_why or 'accepted'}")
    # The offline window closes (certificate validity 30 days + settlement grace 30 days): what
    # the issuer knew bob held (2,000 - 300, dave's 100 among it) returns to the account.
    accounts0 = world.issuer.audit()["account_balances"]
    world.set_time(world.offset + 62 * DAY)
    returned = world.issuer.audit()["account_balances"] - accounts0
    # Dave, an honest payee who never synced since, comes online: his sync refreshes the note
    # that passed through the lost wallet; the issuer honours it and books it to bob's account.
    dave.sync()
    dave.sync()
    dave_total, dave_payable = totals(dave)
    honoured = world.issuer.audit()["account_balances"] - accounts0
    world.set_time(world.offset + DAY)
    again = world.issuer.audit()["account_balances"] - accounts0
    audit = world.issuer.audit()
    report.check("lifecycle.lost_value_returns_once_and_a_late_payee_is_honoured",
                 returned == 1_700 and dave_total == 100 and dave_payable == 100 and honoured == 1_600
                 and again == 1_600 and audit["balanced"] and audit["accounts_balanced"],
                 f"returned after the window: {returned} (expected 1,700); dave holds {dave_total} "
                 f"(payable {dave_payable}); accounts then +{honoured} (expected 1,600), after another "
                 f"restart +{again}")


def run_all(world, report):
    alice = refresh_under_attack(world, report)
    defund_under_attack(world, report, alice)
    lost_phone(world, report)
