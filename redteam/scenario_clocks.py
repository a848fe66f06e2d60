"""Scenario 10: two phones whose clocks disagree. Either the payment goes through, or the payer
refuses before committing: value never sits pending for a payment that cannot succeed."""


def disagree(world, report, name, payer_skew, payee_skew, amount=100):
    payer = world.wallet(f"{name}-payer", balance=1000, fund=1000)
    payee = world.wallet(f"{name}-payee")
    payer.skew, payee.skew = payer_skew, payee_skew
    req, pay, rec = world.file("request"), world.file("payment"), world.file("receipt")
    run = payee.request(amount, req)
    if not run.ok:
        report.check(f"clock.{name}", False, f"request: {run.brief()}")
        return
    paid = payer.pay(req, pay)
    if not paid.ok:
        ok = payer.balance() == (1000, 0)
        report.check(f"clock.{name}", ok, f"payer refused before committing ({paid.brief()[:120]})"
                     + ("" if ok else f", but balance is {payer.balance()}"))
        return
    accepted = payee.accept(pay, rec)
    completed = payer.complete(rec) if accepted.ok else None
    ok = accepted.ok and completed.ok and payer.balance() == (1000 - amount, 0)
    report.check(f"clock.{name}", ok, "accepted within the skew" if ok else
                 f"payer committed, payee refused ({accepted.brief()[:140]}); payer left with {payer.balance()}")


def run_all(world, report):
    disagree(world, report, "payer_ahead_1h", 3600, 0)
    disagree(world, report, "payer_behind_1h", -3600, 0)
    disagree(world, report, "payer_ahead_2min", 120, 0)
    disagree(world, report, "payee_ahead_1d", 0, 86400)
