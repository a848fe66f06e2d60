#!/usr/bin/env python3
"""Red team: a black-box adversarial suite against the release `offline-cash` and
`offline-cash-issuer` binaries, written from README.md, docs/PROTOCOL.md, issuer/openapi.json
and the CLI's --help. See redteam/README.md.

  python3 redteam/run.py --short          # CI (a few minutes)
  python3 redteam/run.py                  # the full year
  python3 redteam/run.py --only files     # one group

Prints one line per check (PASS / FAIL / KNOWN-OPEN) and `N passed, N failed, N known-open`;
exits 1 if any check failed."""

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import traceback

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import forge  # noqa: E402
import report as report_mod  # noqa: E402
import scenario_clocks  # noqa: E402
import scenario_doublespend  # noqa: E402
import scenario_files  # noqa: E402
import scenario_garbage  # noqa: E402
import scenario_lifecycle  # noqa: E402
import scenario_network  # noqa: E402
import scenario_time  # noqa: E402
from world import Bins, World  # noqa: E402

GROUPS = {
    "files": scenario_files.run_all,
    "network": scenario_network.run_all,
    "time": scenario_time.run_all,
    "doublespend": scenario_doublespend.run_all,
    "clocks": scenario_clocks.run_all,
    "garbage": scenario_garbage.run_all,
    "lifecycle": scenario_lifecycle.run_all,
}


def find_bins(arg):
    candidates = [pathlib.Path(arg)] if arg else []
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(pathlib.Path(os.environ["CARGO_TARGET_DIR"]) / "release")
    candidates.append(HERE.parent / "target" / "release")
    for d in candidates:
        cli, issuer = d / "offline-cash", d / "offline-cash-issuer"
        if cli.is_file() and issuer.is_file():
            return Bins(str(cli), str(issuer))
    sys.exit("redteam: release binaries not found; run "
             "`cargo build --release -p offline-cash-cli -p offline-cash-issuer` or pass --bin-dir")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="the CI mode: fewer months, fewer wallets")
    parser.add_argument("--bin-dir", help="directory holding offline-cash and offline-cash-issuer")
    parser.add_argument("--only", action="append", choices=sorted(GROUPS), help="run only these groups")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    bins = find_bins(args.bin_dir)
    if not shutil.which("faketime") and not os.path.exists("/usr/bin/faketime"):
        sys.exit("redteam: faketime not found (Debian package `faketime`); the time scenarios need it")
    report = report_mod.Report()
    try:
        forge.self_test()
        report.check("harness.vectors", True, "CBOR, digests and P-256 agree with docs/vectors/token-p256.txt")
    except AssertionError as e:
        report.check("harness.vectors", False, f"our encoder disagrees with the vectors: {e}")
    all_runs = []
    for name, scenario in GROUPS.items():
        if args.only and name not in args.only:
            continue
        tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"redteam-{name}-"))
        world = None
        try:
            world = World(bins, tmp)
            world.short = args.short
            scenario(world, report)
        except Exception as e:  # a broken step ends the group, reported as one failure
            report.check(f"{name}.completed", False, f"{type(e).__name__}: {e} @ {traceback.extract_tb(e.__traceback__)[-1].lineno}")
        finally:
            if world is not None:
                all_runs += world.runs
                world.close()
            if args.keep:
                print(f"  ({name}: {tmp})")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    panics = [r for r in all_runs if r.panicked]
    report.check("harness.no_panic", not panics,
                 f"{len(all_runs)} CLI runs, none panicked" if not panics else
                 f"{len(panics)} panicked, e.g. {' '.join(map(str, panics[0].argv[-6:]))}: {panics[0].brief()}")
    sys.exit(1 if report.summary() else 0)


if __name__ == "__main__":
    main()
