"""The tap table: each field-walk task, the taps it took and its budget (issue 10).

The counts come from the field-walk tests (tests/field_walk), which drive the real app with real
touches against the real server and write .artifacts/taps.json as they go. By default this script
runs them first (`scripts/test.sh tests/field_walk`: a fresh test database, Xvfb, the real server);
`--from FILE` only prints a table already written. Typing is not counted, tapping a field to type
into it is; "scrolls" counts the times the page had to be scrolled to reach the next thing to tap.
It exits 1 if a task is over its budget.

    .venv/bin/python bench/taps.py              # run the walks, then print the table
    .venv/bin/python bench/taps.py --from .artifacts/taps.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAPS = ROOT / ".artifacts" / "taps.json"


def table(rows: dict) -> tuple[str, bool]:
    lines = [f"{'task':<96} {'taps':>5} {'budget':>7} {'scrolls':>8}"]
    ok = True
    for key in sorted(rows, key=lambda k: (rows[k]["task"], rows[k]["orientation"])):
        row = rows[key]
        over = row["taps"] > row["budget"]
        ok &= not over
        lines.append(f"{key:<96} {row['taps']:>5} {row['budget']:>7} {row['scrolls']:>8}"
                     f"{'   OVER BUDGET' if over else ''}")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="print this taps.json without running the walks")
    args = parser.parse_args(argv)
    source = args.source
    if source is None:
        TAPS.unlink(missing_ok=True)
        run = subprocess.run(["bash", "scripts/test.sh", "tests/field_walk", "-q", "-p", "no:cacheprovider"],
                             cwd=ROOT)
        if run.returncode != 0:
            print("the field walks failed: the table below may be incomplete", file=sys.stderr)
        source = TAPS
    if not source.exists():
        print(f"no tap counts in {source}: run the field walks (tests/field_walk) first", file=sys.stderr)
        return 1
    text, ok = table(json.loads(source.read_text()))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
