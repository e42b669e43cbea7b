"""python-for-android recipe for ``sqlcipher3``: the tablet's store on Android (issue 15).

python-for-android has no SQLCipher recipe, and PyPI's ``sqlcipher3-binary`` wheels (what the
desktop uses) are for Linux, macOS and Windows only. This recipe builds the same Python module
(``sqlcipher3``, coleifer's DB-API 2.0 module) against a SQLCipher amalgamation that it generates
from SQLCipher's own sources on the build host, linked to python-for-android's OpenSSL (libcrypto)
for AES-256 and HMAC-SHA512: the same SQLCipher 4 format the desktop writes, so a store moves
between them only with its key.

**It cannot be built on the development machines** (no Android SDK/NDK there, no network for the
toolchain); it has never been run. On a build host with the SDK/NDK, buildozer picks it up through
``p4a.local_recipes = ./recipes`` in ``mobile/buildozer.spec``. What a build must check there: the
module imports, ``PRAGMA cipher_version`` answers 4.x, and ``tests/mobile_core/test_encrypted_store.py``
passes on the device (``python -m pytest`` inside the APK's Python).

Steps:
1. download SQLCipher's release tarball (SQLCIPHER_VERSION) beside sqlcipher3's sdist;
2. on the host: ``./configure`` (SQLite's own build needs a host compiler and ``tclsh``) and
   ``make sqlite3.c``, which writes the amalgamation ``sqlite3.c`` / ``sqlite3.h``;
3. copy both into sqlcipher3's source folder and build with its ``build_static`` command (the
   amalgamation compiled into the extension, ``SQLITE_HAS_CODEC``, ``SQLITE_TEMP_STORE=2``), with the
   NDK's compiler and OpenSSL's headers and ``-lcrypto``.
"""

from __future__ import annotations

import os
import shutil
from os.path import join

import sh
from pythonforandroid.logger import info, shprint
from pythonforandroid.recipe import CompiledComponentsPythonRecipe
from pythonforandroid.util import current_directory

SQLCIPHER_VERSION = "4.6.1"
SQLCIPHER_URL = f"https://github.com/sqlcipher/sqlcipher/archive/refs/tags/v{SQLCIPHER_VERSION}.tar.gz"


class Sqlcipher3Recipe(CompiledComponentsPythonRecipe):
    version = "0.5.4"
    url = "https://files.pythonhosted.org/packages/source/s/sqlcipher3/sqlcipher3-{version}.tar.gz"
    depends = ["python3", "setuptools", "openssl"]
    site_packages_name = "sqlcipher3"
    call_hostpython_via_targetpython = False
    # build_static: the amalgamation compiled into the extension (no separate libsqlcipher.so).
    build_cmd = "build_static"

    def prebuild_arch(self, arch):
        super().prebuild_arch(arch)
        build_dir = self.get_build_dir(arch.arch)
        if os.path.exists(join(build_dir, "sqlite3.c")):
            return
        sources = join(build_dir, "sqlcipher-src")
        archive = join(self.ctx.packages_path, self.name, f"sqlcipher-{SQLCIPHER_VERSION}.tar.gz")
        if not os.path.exists(archive):
            info(f"sqlcipher3: downloading SQLCipher {SQLCIPHER_VERSION}")
            os.makedirs(os.path.dirname(archive), exist_ok=True)
            self.download_file(SQLCIPHER_URL, archive)
        os.makedirs(sources, exist_ok=True)
        shprint(sh.tar, "xzf", archive, "-C", sources, "--strip-components=1")
        with current_directory(sources):
            # The amalgamation is generated with the host's tools; it is plain C, compiled for the
            # tablet below. The codec is SQLCipher's; the crypto provider is OpenSSL.
            shprint(sh.Command("./configure"), "--enable-tempstore=yes", "--disable-tcl",
                    "CFLAGS=-DSQLITE_HAS_CODEC -DSQLCIPHER_CRYPTO_OPENSSL")
            shprint(sh.make, "sqlite3.c")
        shutil.copy(join(sources, "sqlite3.c"), join(build_dir, "sqlite3.c"))
        shutil.copy(join(sources, "sqlite3.h"), join(build_dir, "sqlite3.h"))

    def get_recipe_env(self, arch, **kwargs):
        env = super().get_recipe_env(arch, **kwargs)
        openssl = self.get_recipe("openssl", self.ctx)
        env["CFLAGS"] = env.get("CFLAGS", "") + " " + openssl.include_flags(arch) + \
            " -DSQLCIPHER_CRYPTO_OPENSSL -DSQLITE_EXTRA_INIT=sqlcipher_extra_init" \
            " -DSQLITE_EXTRA_SHUTDOWN=sqlcipher_extra_shutdown"
        env["LDFLAGS"] = env.get("LDFLAGS", "") + " " + openssl.link_dirs_flags(arch)
        env["LIBS"] = env.get("LIBS", "") + " " + openssl.link_libs_flags()
        return env


recipe = Sqlcipher3Recipe()
