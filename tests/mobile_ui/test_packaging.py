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


def test_the_android_build_has_the_encrypted_stores_packages_and_our_sqlcipher3_recipe():
    """The recipe cannot be built here (no Android SDK/NDK): this checks it is wired in and is valid
    Python that defines the recipe python-for-android looks for."""
    import ast

    spec = configparser.ConfigParser()
    spec.read(ROOT / "mobile" / "buildozer.spec")
    app = spec["app"]
    requirements = {r.split("==")[0].strip() for r in app["requirements"].split(",")}
    assert {"openssl", "sqlcipher3", "pyjnius", "cryptography", "argon2-cffi", "pillow"} <= requirements
    assert "CAMERA" in {p.strip() for p in app["android.permissions"].split(",")}
    recipes = (ROOT / "mobile" / app["p4a.local_recipes"]).resolve()
    assert recipes == ROOT / "mobile" / "recipes"
    assert "mobile/recipes" in app["source.exclude_dirs"].split(",")  # build scripts stay out of the APK
    tree = ast.parse((recipes / "sqlcipher3" / "__init__.py").read_text())
    names = {node.targets[0].id for node in tree.body if isinstance(node, ast.Assign)
             and isinstance(node.targets[0], ast.Name)}
    assert "recipe" in names and "SQLCIPHER_VERSION" in names
