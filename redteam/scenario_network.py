"""Scenarios 6–7: a proxy at sync that rewrites the issuer's keys and policy, notes minted under
the attacker's key, and plain http:// to a non-loopback issuer."""

import base64
import json
import time

import forge
import p256


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def rewriter(**fields):
    """A proxy hook that replaces fields of every sync and issuer-keys answer."""

    def hook(method, path, status, body):
        if status != 200 or path not in ("/v1/sync", "/v1/issuer-keys"):
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        for key, value in fields.items():
            target = "keys" if key == "issuer_keys" and path == "/v1/issuer-keys" else key
            if target in answer:
                answer[target] = value
                hook.rewritten += 1
        return json.dumps(answer).encode()

    hook.rewritten = 0
    return hook


def rewritten_keys(world, report):
    payer = world.wallet("honest-payer", balance=5000, fund=5000)
    victim = world.wallet("victim")
    now = int(time.time()) + world.offset
    # baseline, no proxy trick: the forger's bytes are well formed and refused for the key alone
    req = world.file("request-for-forger")
    victim.request(500, req)
    f = world.file("forged-payment")
    f.write_bytes(forge.forged_payment(forge.parse_request(req.read_bytes()), 500, now, p256.Key(), 0xBAD))
    run = victim.accept(f, world.file("receipt-for-forger"))
    text = (run.err + run.out).lower()
    report.check("proxy.forged_note_refused_as_forged", not run.ok and ("forged" in text or "not trusted" in text),
                 f"a note minted under an unknown key, no proxy: {run.brief()}")
    for key_id, label in ((0xBAD, "a new key id"), (1, "the genuine key id")):
        attacker = p256.Key()
        fake_key = forge.issuer_key(attacker, key_id, now - 86400, now + 400 * 86400)
        world.proxy.rewrite = hook = rewriter(issuer_keys=[b64(fake_key)])
        sync = victim.sync()
        world.proxy.rewrite = None
        if not hook.rewritten:
            report.check(f"proxy.forged_key_refused_{'new_id' if key_id != 1 else 'same_id'}", False,
                         "the sync answer has no issuer_keys field to rewrite any more: update this scenario")
            continue
        before = victim.balance()
        req = world.file("request-for-forger")
        victim.request(500, req)
        # the note is minted under the very key the proxy installed
        payment = forge.forged_payment(forge.parse_request(req.read_bytes()), 500, now, attacker, key_id)
        f = world.file("forged-payment")
        f.write_bytes(payment)
        run = victim.accept(f, world.file("receipt-for-forger"))
        after = victim.balance()
        # refused as a forgery, not as a malformed file (which would say nothing about the keys)
        why_refused = (run.err + run.out).lower()
        for_the_key = any(w in why_refused for w in ("forged", "not trusted", "altered", "signature"))
        report.check(f"proxy.forged_key_refused_{'new_id' if key_id != 1 else 'same_id'}",
                     not run.ok and after == before and for_the_key,
                     f"sync through the proxy (rc={sync.rc}) offered a key under {label}; note minted under it: "
                     + (f"accepted, balance {before}→{after}" if run.ok else f"refused ({run.brief()})"))
        ok, why, _ = world.pay(payer, victim, 100)
        report.check(f"proxy.genuine_key_kept_{'new_id' if key_id != 1 else 'same_id'}", ok,
                     "genuine notes still accepted after an answer that omitted the genuine key" if ok else why)


def rewritten_policy(world, report):
    payer = world.wallet("policy-victim", balance=5000, fund=5000)
    payee = world.wallet("policy-payee")
    now = int(time.time()) + world.offset
    attacker = p256.Key()
    fake_key = forge.issuer_key(attacker, 0xBAD, now - 86400, now + 400 * 86400)
    fake_policy = forge.policy(attacker, 0xBAD, 2**40, now, "EUR", 1, 1, 1, 86400, 1)
    status, keys = world.issuer.http("GET", "/v1/issuer-keys")
    genuine = keys["keys"] if status == 200 else []
    world.proxy.rewrite = hook = rewriter(issuer_keys=genuine + [b64(fake_key)], policy=b64(fake_policy))
    first = payer.sync()
    world.proxy.rewrite = None
    if not hook.rewritten:
        report.check("proxy.rewritten_policy_no_lockout", False, "nothing to rewrite in the sync answer: update this scenario")
        return
    second = payer.sync()
    ok, why, _ = world.pay(payer, payee, 100)
    report.check("proxy.rewritten_policy_no_lockout", ok and second.ok,
                 f"after a sync answer carrying an attacker-signed policy (limits 1, sequence 2^40; rc={first.rc}) "
                 f"and a genuine sync (rc={second.rc}): " + ("a 100 payment still works" if ok else why))


def plain_http(world, report):
    w = world.wallet("http-victim")
    bad = []
    for url in ("http://10.255.255.1:8080", "http://issuer.invalid"):
        fresh = type(w)(world, f"http-{len(bad)}-{url.split('//')[1].split(':')[0]}")
        fresh.create()
        run = fresh.cli("wallet", "register", "--dir", fresh.dir, "--issuer", url, "--credential", w.credential,
                        timeout=30)
        text = (run.err + run.out).lower()
        clear = any(word in text for word in ("https", "loopback", "insecure", "plain http", "unencrypted"))
        if run.ok or run.seconds > 5 or not clear:
            bad.append(f"{url}: rc={run.rc} after {run.seconds:.1f}s: {run.brief()[:100]}")
    conf = w.dir / "issuer.conf"
    conf.write_text("".join("url=http://10.255.255.1:8080\n" if line.startswith("url=") else line + "\n"
                            for line in conf.read_text().splitlines()))
    run = w.cli("wallet", "sync", "--dir", w.dir, timeout=30)
    text = (run.err + run.out).lower()
    if run.ok or run.seconds > 5 or not any(word in text for word in ("https", "loopback", "insecure", "plain http", "unencrypted")):
        bad.append(f"sync after issuer.conf was edited to http://10.255.255.1: rc={run.rc} after {run.seconds:.1f}s: "
                   f"{run.brief()[:100]}")
    report.check("http.non_loopback_refused", not bad,
                 "; ".join(bad) or "http:// to a non-loopback issuer refused at once with a clear error")


def run_all(world, report):
    rewritten_keys(world, report)
    rewritten_policy(world, report)
    plain_http(world, report)
