"""bench/taps.py prints the tap table from the field walks' counts (and fails on a task over budget)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_tap_table_script_prints_and_checks_budgets(tmp_path):
    counts = tmp_path / "taps.json"
    counts.write_text(json.dumps({
        "No answer (landscape)": {"task": "No answer", "orientation": "landscape", "taps": 2, "budget": 2,
                                  "scrolls": 0},
        "Full visit (portrait)": {"task": "Full visit", "orientation": "portrait", "taps": 21, "budget": 25,
                                  "scrolls": 3}}))
    out = subprocess.run([sys.executable, "bench/taps.py", "--from", str(counts)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Full visit (portrait)" in out.stdout and " 21 " in out.stdout and "OVER" not in out.stdout
    counts.write_text(json.dumps({"Slow (landscape)": {"task": "Slow", "orientation": "landscape", "taps": 30,
                                                       "budget": 25, "scrolls": 0}}))
    out = subprocess.run([sys.executable, "bench/taps.py", "--from", str(counts)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and "OVER BUDGET" in out.stdout
