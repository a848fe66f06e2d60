"""Scenario 11: garbage into every command that reads a file, and damaged wallet files. Each must
end in a clean error (non-zero exit, no panic), leave the file it read byte for byte untouched,
and leave the wallet as it was."""

import os
import shutil

from world import Wallet, dir_digest, sha

HUGE = 40 * 1024 * 1024


def inputs(world, good: dict):
    """name → path of hostile inputs; good holds genuine request/payment/receipt files."""
    out = {}

    def put(name, data):
        p = world.file(f"garbage-{name}")
        p.write_bytes(data)
        out[name] = p

    put("empty", b"")
    for kind, frame in good.items():
        raw = frame.read_bytes()
        put(f"truncated-{kind}", raw[: len(raw) // 2])
        put(f"trailing-{kind}", raw + b"\0")
        out[f"genuine-{kind}"] = frame
    for t in range(0, 8):
        put(f"type-{t}-only", bytes([t]))
    put("random-3MiB", os.urandom(3 * 1024 * 1024))
    p = world.file("garbage-huge-zeros")
    with open(p, "wb") as f:
        f.truncate(HUGE)
    out["huge-zeros"] = p
    put("array-bomb", bytes([0x02, 0x9B]) + (2**63).to_bytes(8, "big"))
    put("bstr-bomb", bytes([0x01, 0x82, 0x01, 0x5B]) + (2**62).to_bytes(8, "big"))
    out["a-directory"] = world.tmp / "files"
    out["missing"] = world.tmp / "files" / "does-not-exist"
    return out


def file_commands(world, report):
    payer = world.wallet("g-payer", balance=3000, fund=3000)
    payee = world.wallet("g-payee")
    req, pay, rec = world.file("request"), world.file("payment"), world.file("receipt")
    ok = payee.request(100, req).ok and payer.pay(req, pay).ok and payee.accept(pay, rec).ok
    if not ok:
        report.check("garbage.setup", False, "could not make genuine files")
        return
    hostile = inputs(world, {"request": req, "payment": pay, "receipt": rec})
    commands = {
        "pay": (payer, lambda f: payer.pay(f, world.file("out")), "request"),
        "accept": (payee, lambda f: payee.accept(f, world.file("out")), "payment"),
        "complete": (payer, lambda f: payer.complete(f), "receipt"),
    }
    for command, (wallet, run_it, own_kind) in commands.items():
        bad = []
        for name, path in hostile.items():
            if name == f"genuine-{own_kind}":
                continue
            if command == "complete" and name == "genuine-receipt":
                continue
            before_file, before_wallet, before_balance = sha(path), dir_digest(wallet.dir), wallet.balance()
            run = run_it(path)
            problems = []
            if run.panicked:
                problems.append("panicked")
            if run.rc < 0 or run.rc == 101:
                problems.append(f"rc={run.rc}")
            # complete of a receipt for no pending payment may exit 0 ("not pending"): only money matters then
            if run.ok and command != "complete":
                problems.append("exit 0")
            if run.seconds > 10:
                problems.append(f"took {run.seconds:.0f}s")
            if sha(path) != before_file:
                problems.append("input file changed")
            if wallet.balance() != before_balance:
                problems.append(f"balance {before_balance}→{wallet.balance()}")
            elif dir_digest(wallet.dir) != before_wallet and command != "complete":
                problems.append("wallet files changed")
            if problems:
                bad.append(f"{name}: {', '.join(problems)} ({run.brief()[:80]})")
        report.check(f"garbage.{command}_input", not bad,
                     "; ".join(bad[:3]) + (f" (+{len(bad) - 3} more)" if len(bad) > 3 else "")
                     if bad else f"{len(hostile) - 1} hostile --{own_kind} files: clean errors, nothing changed")


def damaged_wallets(world, report):
    base = world.wallet("g-base", balance=1000, fund=1000)
    payee = world.wallet("g-other")
    req = world.file("request")
    payee.request(50, req)
    damages = {
        "wallet.db truncated": ("wallet.db", lambda raw: raw[: len(raw) // 3]),
        "wallet.db zeroed page": ("wallet.db", lambda raw: raw[:4096] + bytes(4096) + raw[8192:]),
        "wallet.db empty": ("wallet.db", lambda raw: b""),
        "wallet.db foreign (the issuer's database)": ("wallet.db", lambda raw: world.issuer.db.read_bytes()),
        "wallet.key garbage": ("wallet.key", lambda raw: b"not a key\n"),
        "wallet.key another wallet's": ("wallet.key", lambda raw: (payee.dir / "wallet.key").read_bytes()),
        "issuer.conf garbage": ("issuer.conf", lambda raw: os.urandom(64)),
    }
    commands = {
        "balance": lambda w: w.balance_run(),
        "history": lambda w: w.w("history"),
        "request": lambda w: w.request(10, world.file("out")),
        "pay": lambda w: w.pay(req, world.file("out")),
        "sync": lambda w: w.sync(),
        "create over it": lambda w: w.create(),
    }
    # which command must fail for which damaged file (others may legitimately not read it)
    must_fail = {"wallet.db": set(commands), "wallet.key": {"pay", "sync", "create over it"},
                 "issuer.conf": {"sync", "create over it"}}
    bad = []
    for i, (label, (fname, damage)) in enumerate(damages.items()):
        w = Wallet(world, f"g-damaged-{i}")
        shutil.copytree(base.dir, w.dir)
        target = w.dir / fname
        target.write_bytes(damage(target.read_bytes()))
        before, before_target = dir_digest(w.dir), sha(target)
        for cname, command in commands.items():
            run = command(w)
            problems = []
            if run.panicked or run.rc < 0:
                problems.append(f"panicked/killed rc={run.rc}")
            if run.ok and cname in must_fail[fname]:
                problems.append("exit 0")
            if sha(target) != before_target:
                problems.append(f"{fname} changed")
            elif not run.ok and dir_digest(w.dir) != before:
                problems.append("files changed by a refused command")
            before, before_target = dir_digest(w.dir), sha(target)
            if problems:
                bad.append(f"{label} / {cname}: {', '.join(problems)} ({run.brief()[:70]})")
    report.check("garbage.damaged_wallet_files", not bad,
                 "; ".join(bad[:4]) + (f" (+{len(bad) - 4} more)" if len(bad) > 4 else "")
                 if bad else f"{len(damages)} damaged wallets × {len(commands)} commands: refused, untouched")


def run_all(world, report):
    file_commands(world, report)
    damaged_wallets(world, report)
