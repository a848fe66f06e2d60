"""Scenario 9: a wallet restored from a backup spends its note again; a colluding payer and
payee (both restoring backups) try to be paid twice for one note."""

import shutil

from world import Wallet


def clone(world, w, name):
    """A copy of a wallet directory (a backup restored on a second phone)."""
    copy = Wallet(world, name, w.suite)
    shutil.copytree(w.dir, copy.dir)
    copy.credential = w.credential
    return copy


def wallet_id_prefix(w):
    for run in w.world.runs:
        if run.argv[-4:] == ["--dir", str(w.dir), "--suite", w.suite] and run.ok:
            return run.out.split()[2]
    return None


def guarantees(audit):
    # issued = funded + guaranteed + re-issued by refreshes (equal to the notes refreshes retired)
    return audit["issued"] - audit["funded"] - audit.get("refreshed", 0)


def cheater_and_victims(world, report):
    # the cheater's account holds 1,500: it funds 1,000 and keeps 500 online
    m = world.wallet("mallory", balance=1500, fund=1000)
    backup = clone(world, m, "mallory-restored")
    b, c, d = world.wallet("bob"), world.wallet("carol"), world.wallet("dave")
    erin = world.wallet("erin")
    _, old_revocations = world.issuer.http("GET", "/v1/revocations")  # genuine, signed, sequence 0
    ok1, why1, _ = world.pay(m, b, 600)
    ok2, why2, _ = world.pay(backup, c, 600)
    report.check("ds.both_accepted_offline", ok1 and ok2, why1 or why2 or "the live wallet and its restored copy both pay 600")
    for w in (b, c, m, backup, b, c, d):
        w.sync()
    revoked = world.issuer.revoked()
    ids = {w.name: wallet_id_prefix(w) for w in (m, b, c, d)}
    blamed = {n for n, i in ids.items() if i and any(r.startswith(i) for r in revoked)}
    audit = world.issuer.audit()
    report.check("ds.cheater_only_revoked", blamed == {"mallory"} and audit["double_spends"] >= 1,
                 f"revoked: {sorted(blamed)}, double spends in the audit: {audit['double_spends']}")
    report.check("ds.victim_guaranteed_once", guarantees(audit) == 600,
                 f"issued − funded (guarantees) = {guarantees(audit)}, expected 600 for carol alone, "
                 "after everybody synced twice")
    recovered = audit["recovered_from_cheaters"]
    report.check("ds.no_fake_recovery", recovered <= 500 and audit.get("accounts_balanced"),
                 f"recovered_from_cheaters = {recovered} from an account that held 500 for a 600 loss")
    ok, why, _ = world.pay(b, d, 100)
    report.check("ds.honest_notes_stay_spendable", ok,
                 "bob pays dave with the note he received from the cheater's accepted link" if ok else why)
    ok, why, _ = world.pay(c, d, 100)
    report.check("ds.guaranteed_note_spendable", ok, "carol pays dave with the guaranteed note" if ok else why)
    before = d.balance()
    ok, why, files = world.pay(m, d, 100)
    after = d.balance()
    revoked_word = "revoked" in why.lower()
    report.check("ds.revoked_payer_refused_offline", not ok and after == before and revoked_word,
                 f"dave (synced) facing the revoked cheater: {why or 'accepted'}")
    revocation_rollback(world, report, m, erin, old_revocations)
    fresh = Wallet(world, "mallory-new")
    fresh.create()
    run = fresh.register(m.credential)
    funded = fresh.fund(100) if run.ok else None
    report.check("ds.cheater_cannot_start_fresh_wallet", not run.ok and funded is None,
                 f"register with the revoked customer's credential: {run.brief()}"
                 + (f"; fund: {funded.brief()}" if funded else ""))


def revocation_rollback(world, report, cheater, victim, old):
    """The proxy replays the issuer's own, genuinely signed, older revocation list at sync."""
    from scenario_network import rewriter

    victim.sync()
    world.proxy.rewrite = hook = rewriter(revocations=old)
    replayed = victim.sync()
    world.proxy.rewrite = None
    before = victim.balance()
    ok, why, _ = world.pay(cheater, victim, 50)
    report.check("proxy.old_revocation_list_ignored", hook.rewritten and not ok and victim.balance() == before,
                 f"after a sync answer replaying the sequence-0 list (rc={replayed.rc}, rewrites {hook.rewritten}): "
                 f"the revoked cheater pays erin: {why or 'accepted'}")


def rollback(world, report):
    """A wallet restored from a backup spends other notes than the live one did and moves past the
    live wallet's last synced counter before it syncs: the reused spend counter is evidence."""
    import json

    w = world.wallet("roller", balance=1000, fund=300)
    w.fund(700)
    w.sync()
    restored = clone(world, w, "roller-restored")
    y, z, v = world.wallet("roll-y"), world.wallet("roll-z"), world.wallet("roll-v", balance=50, fund=50)
    steps = [world.pay(w, y, 300), (w.sync().ok, "live sync", None), world.pay(restored, z, 700),
             world.pay(v, restored, 50), world.pay(restored, z, 50)]
    failed = [why for ok, why, _ in steps if not ok]
    if failed:
        report.check("limits.rollback_past_synced_state_detected", False, f"setup: {failed[0]}")
        return
    mark = len(world.proxy.seen)
    restored.sync()
    answers = [json.loads(a) for m, path, st, _, a in world.proxy.seen[mark:] if path == "/v1/sync" and st == 200]
    double = sum(r.get("status") == "double_spend" for a in answers for r in a.get("results", []))
    flagged = any(a.get("rollback_detected") for a in answers)
    report.check("limits.rollback_past_synced_state_detected", flagged,
                 f"restored copy reused spend counter 1 and reached 2 before syncing: rollback_detected={flagged} "
                 f"in {len(answers)} sync answer(s)"
                 + (f" (and {double} double spend(s): the copy spent the same note, inconclusive)" if double else ""))


def colluders(world, report):
    """Payer and payee both restore backups: the note of 1,000 is paid to the same payee wallet
    twice (once to the live copy, once to the restored one). At most 1,000 may come out."""
    m = world.wallet("col-payer", balance=1000, fund=1000)
    m2 = clone(world, m, "col-payer-restored")
    k = world.wallet("col-payee")
    k2 = clone(world, k, "col-payee-restored")
    ok1, why1, _ = world.pay(m, k, 1000)
    ok2, why2, _ = world.pay(m2, k2, 1000)
    before = world.issuer.audit()
    for w in (k, k2, m, m2):
        w.sync()
    audit = world.issuer.audit()
    extra = guarantees(audit) - guarantees(before)
    report.check("ds.colluders_extract_at_most_the_note", (ok1 and ok2) and extra == 0,
                 (f"both payments accepted offline; the issuer then guaranteed {extra} more to the payee wallet "
                  "that already received the accepted link") if ok1 and ok2 else (why1 or why2))


def run_all(world, report):
    cheater_and_victims(world, report)
    colluders(world, report)
    rollback(world, report)
    holding_limit(world, report)


def holding_limit(world, report):
    """The issuer's default holding limit (200,000, `offline-cash-issuer serve --help`) bounds what a
    wallet holds after every funding, not each funding alone."""
    w = world.wallet("rich", balance=400_000)
    first, second = w.fund(150_000), w.fund(150_000)
    held = sum(w.balance())
    report.check("limits.holding_across_fundings", held <= 200_000,
                 f"two fundings of 150,000 (rc={first.rc}, {second.rc}): the wallet holds {held}")
    payee = world.wallet("nearly-full", balance=190_000, fund=190_000)
    payer = world.wallet("payer-to-full", balance=50_000, fund=50_000)
    before = payer.balance()
    ok, why, _ = world.pay(payer, payee, 20_000)
    after = payer.balance()
    honest = (not ok and after == before) or (ok and sum(payee.balance()) <= 200_000)
    report.check("limits.payee_over_holding_refused_before_commit", honest and not ok,
                 f"a payee holding 190,000 asked for 20,000: {why or 'accepted'}; payer {before}→{after}")
