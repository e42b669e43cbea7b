"""How the app is started and packaged: `python -m mobile` and mobile/buildozer.spec."""

import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_mobile_help():
    out = subprocess.run([sys.executable, "-m", "mobile", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "--server" in out.stdout and "--data-dir" in out.stdout


def test_buildozer_spec_describes_the_android_build():
    spec = configparser.ConfigParser()
    spec.read(ROOT / "mobile" / "buildozer.spec")
    app = spec["app"]
    requirements = {r.split("==")[0].strip() for r in app["requirements"].split(",")}
    assert {"python3", "kivy", "plyer", "msgspec", "httpx"} <= requirements
    permissions = {p.strip() for p in app["android.permissions"].split(",")}
    assert {"INTERNET", "ACCESS_FINE_LOCATION"} <= permissions
    assert "mobile/*" in app["source.include_patterns"] and "shared_schemas/*" in app["source.include_patterns"]
    assert (ROOT / "mobile" / app["source.dir"]).resolve() == ROOT
    assert "kv" in app["source.include_exts"].split(",")
