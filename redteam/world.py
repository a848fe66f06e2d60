"""A world for one scenario: the release issuer on 127.0.0.1 (a random port, a temp database),
a proxy in front of it that can rewrite answers, and wallets driven through the `offline-cash`
CLI. Time is moved with Debian's `faketime`, the same offset for the issuer and the wallets
unless a scenario skews one of them."""

import glob
import hashlib
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

DAY = 86400
FAKETIME = shutil.which("faketime") or "/usr/bin/faketime"


class Run:
    def __init__(self, argv, rc, out, err, seconds):
        self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds

    @property
    def ok(self):
        return self.rc == 0

    @property
    def panicked(self):
        return "panicked at" in self.err or "panicked at" in self.out or self.rc == 101

    def brief(self):
        text = (self.err.strip() or self.out.strip()).splitlines()
        return f"rc={self.rc} " + (text[-1][:160] if text else "(no output)")


def timed(argv, env=None, timeout=120):
    start = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        return Run(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - start)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Run(argv, -9, out, err + f"\n(timed out after {timeout}s)", time.monotonic() - start)


def faketime_library():
    """Debian's multi-threaded libfaketime (the issuer runs threads), or None."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1")) + sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    return found[0] if found else None


def clocked(argv, offset_seconds):
    """argv run under a clock moved by offset_seconds (no wrapper at offset 0).

    libfaketime is preloaded through `env` rather than the `faketime` wrapper: the wrapper's
    named semaphore ("sem_open: File exists") failed runs for no reason of ours."""
    if offset_seconds == 0:
        return argv
    sign = "+" if offset_seconds > 0 else "-"
    spec = f"{sign}{abs(int(offset_seconds))}s"
    lib = faketime_library()
    if lib is None:
        return [FAKETIME, "-m", "--exclude-monotonic", "-f", spec] + argv
    return ["env", f"LD_PRELOAD={lib}", f"FAKETIME={spec}", "FAKETIME_DONT_FAKE_MONOTONIC=1"] + argv


class Proxy:
    """Forwards every request to the issuer; `rewrite(method, path, status, body) -> body` may
    change an answer on its way back (a hostile network or a compromised TLS terminator)."""

    def __init__(self):
        self.upstream = None
        self.rewrite = None
        self.seen = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                req = urllib.request.Request(proxy.upstream + self.path, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        status, answer, rheaders = resp.status, resp.read(), resp.headers
                except urllib.error.HTTPError as e:
                    status, answer, rheaders = e.code, e.read(), e.headers
                except OSError as e:
                    status, answer, rheaders = 502, json.dumps({"code": "proxy", "message": str(e)}).encode(), {}
                proxy.seen.append((self.command, self.path, status, self.headers.get("x-oc-wallet"), answer))
                if proxy.rewrite is not None:
                    answer = proxy.rewrite(self.command, self.path.split("?")[0], status, answer)
                self.send_response(status)
                for name in ("Content-Type", "Retry-After"):
                    if rheaders.get(name):
                        self.send_header(name, rheaders.get(name))
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Issuer:
    def __init__(self, world, **options):
        self.world = world
        self.db = world.tmp / "issuer.db"
        self.token = "redteam-admin-" + os.urandom(8).hex()
        self.options = options
        self.proc = None
        self.url = None
        self.offset = 0
        self.log = open(world.tmp / "issuer.log", "ab")

    def start(self, offset_seconds=0):
        self.offset = offset_seconds
        # Port 0 and --url-file: the kernel picks a free port the server already holds (a port
        # probed first and passed on could be taken by another process before the server binds
        # it). Every start gets a new port; the proxy learns it from self.url.
        url_file = self.world.tmp / "issuer.url"
        for _ in range(5):
            url_file.unlink(missing_ok=True)
            self.url = None
            argv = [self.world.bins.issuer, "serve", "--db", str(self.db), "--listen", "127.0.0.1:0",
                    "--url-file", str(url_file), "--admin-token", self.token]
            for k, v in self.options.items():
                argv += [f"--{k.replace('_', '-')}", str(v)]
            env = dict(os.environ, RUST_LOG="warn")
            self.proc = subprocess.Popen(clocked(argv, offset_seconds), stdout=self.log, stderr=self.log, env=env)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None and not url_file.exists():
                time.sleep(0.05)
            if url_file.exists():
                self.url = url_file.read_text().strip()
            while time.monotonic() < deadline and self.proc.poll() is None and self.url:
                try:
                    with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                        if r.status == 200:
                            return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("the issuer did not start (see issuer.log)")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def http(self, method, path, body=None, token=None, direct=True):
        base = self.url if direct else self.world.proxy.url
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode(errors="replace")

    def account(self, name, balance):
        status, body = self.http("POST", "/v1/admin/accounts", {"customer_ref": name, "balance": balance}, self.token)
        if status != 201:
            raise RuntimeError(f"create account {name}: {status} {body}")
        return body["credential"]

    def audit(self):
        status, body = self.http("GET", "/v1/admin/audit", token=self.token)
        if status != 200:
            raise RuntimeError(f"audit: {status} {body}")
        return body

    def revoked(self):
        status, body = self.http("GET", "/v1/revocations")
        return set(body.get("added", [])) if status == 200 else set()


def sha(path: pathlib.Path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def dir_digest(d: pathlib.Path):
    """Digest of every file under d (names and bytes)."""
    h = hashlib.sha256()
    for p in sorted(d.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(d)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


class Wallet:
    def __init__(self, world, name, suite="p256"):
        self.world, self.name, self.suite = world, name, suite
        self.dir = world.tmp / "wallets" / name
        self.skew = 0  # this device's clock relative to the world's

    def cli(self, *args, skew=None, timeout=120):
        offset = self.world.offset + (self.skew if skew is None else skew)
        argv = [self.world.bins.cli] + [str(a) for a in args]
        run = timed(clocked(argv, offset), timeout=timeout)
        self.world.runs.append(run)
        return run

    def w(self, command, *args, **kw):
        return self.cli("wallet", command, "--dir", self.dir, *args, **kw)

    def create(self):
        return self.w("create", "--suite", self.suite)

    def register(self, credential, url=None):
        return self.w("register", "--issuer", url or self.world.proxy.url, "--credential", credential)

    def fund(self, amount):
        return self.w("fund", "--amount", amount)

    def sync(self):
        return self.w("sync")

    def request(self, amount, out):
        return self.w("request", "--amount", amount, "--out", out)

    def pay(self, request, out, **kw):
        return self.w("pay", "--request", request, "--out", out, **kw)

    def accept(self, payment, out, **kw):
        return self.w("accept", "--payment", payment, "--out", out, **kw)

    def complete(self, receipt, **kw):
        return self.w("complete", "--receipt", receipt, **kw)

    def balance_run(self):
        return self.w("balance")

    def balance(self):
        """(available, pending) as the CLI prints them."""
        run = self.balance_run()
        if not run.ok:
            raise RuntimeError(f"{self.name} balance: {run.brief()}")
        return parse_balance(run.out)


def parse_balance(text):
    numbers = {}
    for key in ("available", "pending", "balance", "total"):
        m = re.search(rf"{key}\D{{0,12}}?(\d+)", text, re.IGNORECASE)
        if m:
            numbers[key] = int(m.group(1))
    if "available" not in numbers:
        m = re.search(r"(\d+)", text)
        numbers["available"] = int(m.group(1)) if m else None
    return numbers.get("available"), numbers.get("pending", 0)


class Bins:
    def __init__(self, cli, issuer):
        self.cli, self.issuer = cli, issuer


class World:
    def __init__(self, bins, tmp: pathlib.Path, **issuer_options):
        self.bins = bins
        self.tmp = tmp
        (tmp / "wallets").mkdir(parents=True, exist_ok=True)
        (tmp / "files").mkdir(exist_ok=True)
        self.offset = 0
        self.epoch = int(time.time())  # day 0 of the simulated year
        self.runs = []
        self.proxy = Proxy()
        self.issuer = Issuer(self, **issuer_options)
        self.issuer.start(0)
        self.proxy.upstream = self.issuer.url
        self.counter = 0

    def file(self, stem):
        self.counter += 1
        return self.tmp / "files" / f"{self.counter:04d}-{stem}.bin"

    def set_time(self, offset_seconds):
        """Moves every clock (the issuer restarts on the same database under the new offset)."""
        if offset_seconds == self.offset:
            return
        self.offset = offset_seconds
        self.issuer.stop()
        self.issuer.start(offset_seconds)
        self.proxy.upstream = self.issuer.url

    def wallet(self, name, credential=None, balance=0, fund=0, suite="p256"):
        """A created and registered wallet (a new account unless a credential is given)."""
        w = Wallet(self, name, suite)
        run = w.create()
        if not run.ok:
            raise RuntimeError(f"create {name}: {run.brief()}")
        w.credential = credential or self.issuer.account(name, balance)
        run = w.register(w.credential)
        if not run.ok:
            raise RuntimeError(f"register {name}: {run.brief()}")
        if fund:
            run = w.fund(fund)
            if not run.ok:
                raise RuntimeError(f"fund {name}: {run.brief()}")
        return w

    def pay(self, payer, payee, amount, complete=True):
        """request → payment → receipt → complete through files; returns (ok, reason, files)."""
        req, pay, rec = self.file(f"req-{payee.name}"), self.file(f"pay-{payer.name}"), self.file(f"rec-{payee.name}")
        files = {"request": req, "payment": pay, "receipt": rec}
        run = payee.request(amount, req)
        if not run.ok:
            return False, f"{payee.name} request: {run.brief()}", files
        run = payer.pay(req, pay)
        if not run.ok:
            return False, f"{payer.name} pay: {run.brief()}", files
        run = payee.accept(pay, rec)
        if not run.ok:
            return False, f"{payee.name} accept: {run.brief()}", files
        if complete:
            run = payer.complete(rec)
            if not run.ok:
                return False, f"{payer.name} complete: {run.brief()}", files
        return True, "", files

    def close(self):
        self.issuer.stop()
        self.proxy.close()
