"""Named checks, each PASS / FAIL / KNOWN-OPEN with a one-line reason, and the final count."""

import sys
import time

# Checks that fail on main for an open issue (named in each entry). A check listed
# here still runs; its failure is printed KNOWN-OPEN and does not fail the run. Remove an entry
# once the fix is merged (a listed check that passes is printed "PASS (remove from KNOWN_OPEN)").
KNOWN_OPEN = {
}


class Report:
    def __init__(self, known_open=None, stream=sys.stdout):
        self.known_open = KNOWN_OPEN if known_open is None else known_open
        self.stream = stream
        self.results = []
        self.started = time.monotonic()

    def check(self, name, ok, reason=""):
        reason = " ".join(str(reason).split())[:300]
        if ok:
            status = "PASS (remove from KNOWN_OPEN)" if name in self.known_open else "PASS"
        else:
            status = "KNOWN-OPEN" if name in self.known_open else "FAIL"
        if status == "KNOWN-OPEN":
            reason = f"{reason} [{self.known_open[name]}]"
        self.results.append((name, status, reason))
        print(f"{status:<10} {name}: {reason or 'ok'}", file=self.stream, flush=True)
        return ok

    def counts(self):
        passed = sum(1 for _, s, _ in self.results if s.startswith("PASS"))
        failed = sum(1 for _, s, _ in self.results if s == "FAIL")
        known = sum(1 for _, s, _ in self.results if s == "KNOWN-OPEN")
        return passed, failed, known

    def summary(self):
        passed, failed, known = self.counts()
        stale = [n for n, s, _ in self.results if s == "PASS (remove from KNOWN_OPEN)"]
        if stale:
            print(f"now passing, remove from KNOWN_OPEN: {', '.join(stale)}", file=self.stream)
        print(f"({time.monotonic() - self.started:.0f} s)", file=self.stream)
        print(f"{passed} passed, {failed} failed, {known} known-open", file=self.stream, flush=True)
        return failed
