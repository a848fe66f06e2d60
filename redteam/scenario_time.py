"""Scenario 8 and the simulated year: monthly syncs that must renew certificates, payments whose
chains cross renewals, an issuer key rotation, and the expiry sweep at +400 days."""

import json
import pathlib
import subprocess
import time

import forge

from world import DAY, clocked

HERE = pathlib.Path(__file__).resolve().parent


def ring(world, wallets, amount):
    """Each wallet pays the next (the last one half), so value received is spent again; returns
    the failures."""
    failures = []
    for i, (payer, payee) in enumerate(zip(wallets, wallets[1:] + wallets[:1])):
        ok, why, _ = world.pay(payer, payee, amount if i < len(wallets) - 1 else amount // 2)
        if not ok:
            failures.append(why)
    return failures


def certificate_end(world, w):
    """not_after of the certificate a wallet presents, read from a request it writes (§5)."""
    f = world.file(f"cert-probe-{w.name}")
    run = w.request(1, f)
    if not run.ok:
        return None
    try:
        return forge.parse_request(f.read_bytes())["payee_certificate"][0][4]
    except (ValueError, IndexError, TypeError):
        return None


def sync_all(wallets):
    return [f"{w.name} sync: {r.brief()}" for w in wallets for r in [w.sync()] if not r.ok]


def rotation_mechanism(world):
    """An outsider looks for a key rotation in the issuer's --help and in the OpenAPI document."""
    help_text = subprocess.run([world.bins.issuer, "--help"], capture_output=True, text=True).stdout
    commands = [line.split()[0] for line in help_text.splitlines() if line.startswith("  ") and line.split()]
    for c in commands:
        if "rotat" in c:
            return ("command", c)
    spec = json.loads((HERE.parent / "issuer" / "openapi.json").read_text())
    for path, ops in spec.get("paths", {}).items():
        if "rotat" in path and "post" in ops:
            return ("endpoint", path)
    return None


def rotate(world):
    """Best effort with what was found: a subcommand taking --db (issuer stopped), or an admin POST."""
    found = rotation_mechanism(world)
    if found is None:
        return False, "no issuer key rotation: none in `offline-cash-issuer --help`, none in issuer/openapi.json"
    kind, name = found
    if kind == "endpoint":
        status, body = world.issuer.http("POST", name, {}, world.issuer.token)
        return status < 300, f"POST {name}: {status} {str(body)[:100]}"
    world.issuer.stop()
    argv = clocked([world.bins.issuer, name, "--db", str(world.issuer.db)], world.offset)
    run = subprocess.run(argv, capture_output=True, text=True)
    world.issuer.start(world.offset)
    world.proxy.upstream = world.issuer.url
    return run.returncode == 0, f"`offline-cash-issuer {name} --db …`: rc={run.returncode} {run.stderr.strip()[-100:]}"


def cheat(world, report, wallets):
    """Day 25: a wallet restored from a backup spends its note at two shops; once everybody has
    synced, the ring's wallets refuse the cheater offline."""
    from scenario_doublespend import clone

    m = world.wallet("cheater", balance=500, fund=500)
    copy = clone(world, m, "cheater-restored")
    shops = world.wallet("shop-1"), world.wallet("shop-2")
    world.pay(m, shops[0], 400)
    world.pay(copy, shops[1], 400)
    for w in (*shops, m, copy, *wallets):
        w.sync()
    before = wallets[0].balance()
    ok, why, _ = world.pay(m, wallets[0], 10)
    report.check("time.revocation_spreads", not ok and "revoked" in why.lower() and wallets[0].balance() == before,
                 f"day 25, after a double spend and a sync round, the cheater pays {wallets[0].name}: {why or 'accepted'}")
    return m


def year(world, report):
    p1 = world.wallet("p1", balance=3000, fund=3000)
    p2 = world.wallet("p2", balance=3000, fund=3000)
    p3 = world.wallet("p3")
    wallets = [p1, p2, p3]
    failures = ring(world, wallets, 100)
    # p3 now holds 50 in notes whose chains end in links p2 and p3 signed under their first certificates
    report.check("time.day0_ring", not failures, "; ".join(failures) or "p1→p2→p3→p1 at day 0")
    first_end = {w.name: certificate_end(world, w) for w in wallets}

    world.set_time(25 * DAY)
    failures = sync_all(wallets)
    report.check("time.sync_day25", not failures, "; ".join(failures) or "every wallet syncs at +25 days")
    now = int(time.time()) + world.offset
    ends = {w.name: certificate_end(world, w) for w in wallets}
    stale = {n: e for n, e in ends.items() if e is None or e < now + 20 * DAY}
    report.check("time.renewed_in_sync", not stale,
                 f"certificates still end within 5 days after the +25-day sync: {stale} (first: {first_end})"
                 if stale else "every certificate renewed by the +25-day sync")
    q = world.wallet("q")
    failures = ring(world, wallets, 40)
    report.check("time.renewal_day25", not failures, "; ".join(failures) or "payments after the +25-day sync accepted")
    cheater = cheat(world, report, wallets)
    world.set_time(35 * DAY)  # offline: the first certificates have ended, the links signed under them stay good
    ok, why, _ = world.pay(p3, q, 50)
    report.check("time.chain_across_renewal", ok,
                 "at +35 days a new payee accepts links signed under certificates that ended at +30" if ok else why)

    # The rotation is announced ahead of use (the command's default, ARCHITECTURE.md): in the
    # short run it happens at the first month so that later months renew under the new key.
    months = [55, 85, 115] if world.short else [25 + 30 * m for m in range(1, 12)]
    rotated_at = months[0] if world.short else months[len(months) // 2]
    broken, rotation = [], None
    for day in months:
        world.set_time(day * DAY)
        if day == rotated_at:
            early = world.wallet("early", balance=200, fund=200)  # synced (funded) before the rotation
            rotation = rotate(world)
            late = world.wallet("late")  # certified after it
            ok, why, _ = world.pay(early, late, 50)
            report.check("time.rotation_strands_no_payer", ok,
                         f"day {day}: a wallet last synced before the key rotation pays one certified after it"
                         if ok else why)
        failures = sync_all(wallets + [q]) + ring(world, wallets + [q], 10)
        if failures and not broken:
            broken.append(f"day {day}: {failures[0]}")
    report.check("time.monthly_renewals", not broken,
                 broken[0] if broken else f"syncs and payments every month through day {months[-1]}")
    revoked_year(world, report, cheater, p1, months[-1])
    ok, why = rotation
    last_funding_day = 25  # the cheater's
    if ok:  # a rotation happened: notes issued before and after it must both still pay
        world.set_time((months[-1] + 1) * DAY)
        fresh = world.wallet("after-rotation", balance=500, fund=500)
        last_funding_day = months[-1] + 1
        ok1, why1, _ = world.pay(fresh, p1, 100)
        ok2, why2, _ = world.pay(p2, fresh, 10)
        ok, why = ok1 and ok2, f"{why}; after it: " + (why1 or why2 or "old and new notes pay")
    report.check("time.issuer_key_rotation", ok, why)
    expiry_sweep(world, report, wallets + [q], last_funding_day + 400)


def revoked_year(world, report, cheater, p1, day):
    """Months after its double spend, through renewals and a key rotation, the cheater is still
    revoked: the issuer refuses to renew it (its sync says so), so its certificate stays at its old end, and no
    payment of it reaches p1 (whichever side refuses: a revoked wallet's certificate lapses)."""
    sync = cheater.sync()
    end = certificate_end(world, cheater)
    before = p1.balance()
    ok, why, _ = world.pay(cheater, p1, 10)
    said = (sync.err + sync.out).lower()
    good = ("renewal refused" in said and "revoked" in said and end is not None
            and end < 60 * DAY + world.epoch and not ok and p1.balance() == before)
    report.check("time.revocation_remembered_all_year", good,
                 f"day {day}: the cheater revoked at day 25 syncs: {[l for l in said.splitlines() if 'renewal' in l][:1]}; its certificate ends "
                 f"{'at day %d' % ((end - world.epoch) // DAY) if end else 'unknown'}; it pays p1: "
                 f"{why or 'accepted'}")


def expiry_sweep(world, report, wallets, day):
    """Notes expire 365 days after funding (PROTOCOL.md §3.3 `expires_at`, read from a payment),
    and the sweep returns them 30 days later (ARCHITECTURE.md, settlement_grace_secs): at 400 days
    after the last funding nothing may be left offline."""
    world.set_time(day * DAY)
    for w in wallets:
        w.sync()
    deadline = time.monotonic() + 65  # the sweep runs once a minute
    audit = world.issuer.audit()
    while time.monotonic() < deadline and audit.get("held_offline", 1) != 0:
        time.sleep(2)
        audit = world.issuer.audit()
    # The accounts end with what they started with, plus what the issuer itself paid for a
    # double spend it could not recover from the cheater (its loss, by the loss policy of
    # docs/decisions/0003): nothing more, nothing less.
    loss = audit.get("issuer_loss", 0)
    ok = (audit.get("held_offline") == 0 and audit.get("balanced") and audit.get("accounts_balanced")
          and audit["account_balances"] == audit["account_initial"] + loss)
    report.check("time.expiry_sweep_conserves", ok,
                 f"+{day} days: held offline {audit.get('held_offline')}, expired returned {audit.get('expired_returned')}, "
                 f"accounts {audit.get('account_balances')} of {audit.get('account_initial')} + issuer loss {loss}, "
                 f"balanced={audit.get('balanced')}/{audit.get('accounts_balanced')}")
    spendable = {w.name: w.balance()[0] for w in wallets}
    report.check("time.expired_not_spendable", not any(spendable.values()),
                 f"wallet spendable after expiry: {spendable}")


def run_all(world, report):
    year(world, report)
