"""The store's key: 256 random bits made once per store, kept by the platform's key keeper.

The key is never derived from a password (a password can be guessed offline from a stolen
store; 256 random bits cannot), and never lies beside the store:

* **Android**: wrapped (AES-GCM) by a key that lives in the Android Keystore and never leaves it
  (hardware-backed where the tablet has a TEE or StrongBox); only the wrapped bytes are in the
  app's private files (``AndroidKeystoreKeys``, through pyjnius).
* **A desktop with an OS keyring** (Windows Credential Locker, macOS Keychain, Secret Service on
  Linux): the ``keyring`` package keeps it (``KeyringKeys``); the OS unlocks it with the login.
* **Fallback, a desktop without a keyring** (a headless Linux has no Secret Service): a key file
  readable only by the user, in the user's config folder (``DOORSTEP_KEY_DIR``, by default
  ``~/.config/doorstep/keys``), never in the data folder (``FileKeys``). A copy of the data folder
  then gives nothing away; a copy of the whole disk does, so such a machine needs full-disk
  encryption (README, "The tablet's store").

``DOORSTEP_KEY_STORE`` (``keyring`` or ``file``) forces one on a desktop. Each store has a random
id (a small plain file beside it, ``<store>.id``) that names its key, so a moved data folder still
finds its key and a store copied to another device finds none.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Protocol

KEY_BYTES = 32
SERVICE = "doorstep-tablet-store"


class KeyStoreError(Exception):
    """The key keeper failed (not: there is no key). `message` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeyStore(Protocol):
    """Where a store's key is kept, by store id."""

    #: What the key keeper is, for the README's and the logs' words ("OS keyring", "key file").
    description: str

    def load(self, store_id: str) -> bytes | None:
        """The key, or None if this keeper has none for the store."""
        ...

    def save(self, store_id: str, key: bytes) -> None:
        ...

    def delete(self, store_id: str) -> None:
        """Forget the key (a wipe): without it the store and photos are noise. No error if absent."""
        ...


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _checked(key: bytes | None) -> bytes | None:
    if key is not None and len(key) != KEY_BYTES:
        raise KeyStoreError("The store's key on this device is damaged. The store is kept as it is; "
                            "ask your coordinator before doing anything else with this tablet.")
    return key


# ---------------------------------------------------------------- desktop: the OS keyring


class KeyringKeys:
    """The OS keyring through the ``keyring`` package (the key as hex under SERVICE / store id)."""

    description = "OS keyring"

    def __init__(self, backend=None) -> None:
        import keyring

        self._keyring = backend or keyring.get_keyring()
        self.description = f"OS keyring ({type(self._keyring).__name__})"

    def load(self, store_id: str) -> bytes | None:
        value = self._call("get_password", store_id)
        if value is None:
            return None
        try:
            return _checked(bytes.fromhex(value))
        except ValueError:
            return _checked(b"")

    def save(self, store_id: str, key: bytes) -> None:
        self._call("set_password", store_id, key.hex())

    def delete(self, store_id: str) -> None:
        import keyring.errors

        try:
            self._keyring.delete_password(SERVICE, store_id)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing to delete
        except keyring.errors.KeyringError as exc:
            raise KeyStoreError(f"The OS keyring refused to forget the store's key ({type(exc).__name__}).") from None

    def _call(self, method: str, *args: str):
        import keyring.errors

        try:
            return getattr(self._keyring, method)(SERVICE, *args)
        except keyring.errors.KeyringError as exc:
            raise KeyStoreError(f"The OS keyring could not be used ({type(exc).__name__}): unlock it (sign in to "
                                "the computer again) and open the app again. Nothing was changed.") from None


def keyring_usable() -> bool:
    """True when the ``keyring`` package has a real backend here (not its "fail" or "null" one)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, (fail.Keyring, null.Keyring)) and getattr(backend, "priority", 0) > 0


# ---------------------------------------------------------------- the documented fallback: a key file


class FileKeys:
    """One file per store key, mode 0600 in a folder of mode 0700, written atomically."""

    description = "key file"

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_key_dir()
        self.description = f"key file in {self.folder}"

    def _path(self, store_id: str) -> Path:
        if not store_id or not all(c.isalnum() or c == "-" for c in store_id):
            raise KeyStoreError("The store's id file is damaged; the store is kept as it is.")
        return self.folder / f"{store_id}.key"

    def load(self, store_id: str) -> bytes | None:
        try:
            return _checked(self._path(store_id).read_bytes())
        except FileNotFoundError:
            return None

    def save(self, store_id: str, key: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            os.chmod(self.folder, 0o700)
        path = self._path(store_id)
        temporary = path.with_suffix(".key.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        _fsync_folder(self.folder)

    def delete(self, store_id: str) -> None:
        path = self._path(store_id)
        shred(path)


def default_key_dir() -> Path:
    configured = os.environ.get("DOORSTEP_KEY_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "doorstep" / "keys"


# ---------------------------------------------------------------- Android: the Keystore (pyjnius)


class AndroidKeystoreKeys:
    """The store's key wrapped by an AES key that never leaves the Android Keystore.

    Runs only on Android (pyjnius); it cannot run on the development machines, so no test runs
    it (README says so). The wrapping key ``doorstep-store-wrap`` is made once (AES-256-GCM,
    encrypt and decrypt only, hardware-backed where the tablet has it); each store key is kept
    as ``nonce || AES-GCM(wrapping key, store key)`` in the app's private files folder.
    """

    description = "Android Keystore"
    ALIAS = "doorstep-store-wrap"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _wrapping_key(self):
        from jnius import autoclass

        KeyStore = autoclass("java.security.KeyStore")
        store = KeyStore.getInstance("AndroidKeyStore")
        store.load(None)
        if store.containsAlias(self.ALIAS):
            return store.getKey(self.ALIAS, None)
        KeyGenerator = autoclass("javax.crypto.KeyGenerator")
        KeyProperties = autoclass("android.security.keystore.KeyProperties")
        Builder = autoclass("android.security.keystore.KeyGenParameterSpec$Builder")
        spec = (Builder(self.ALIAS, KeyProperties.PURPOSE_ENCRYPT | KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes([KeyProperties.BLOCK_MODE_GCM])
                .setEncryptionPaddings([KeyProperties.ENCRYPTION_PADDING_NONE])
                .setKeySize(256)
                .build())
        generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(spec)
        return generator.generateKey()

    def _path(self, store_id: str) -> Path:
        return self.folder / f"{store_id}.wrapped-key"

    def load(self, store_id: str) -> bytes | None:
        from jnius import autoclass

        try:
            blob = self._path(store_id).read_bytes()
        except FileNotFoundError:
            return None
        Cipher = autoclass("javax.crypto.Cipher")
        GCMParameterSpec = autoclass("javax.crypto.spec.GCMParameterSpec")
        cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, self._wrapping_key(), GCMParameterSpec(128, blob[:12]))
        return _checked(bytes(cipher.doFinal(blob[12:])))

    def save(self, store_id: str, key: bytes) -> None:
        from jnius import autoclass

        Cipher = autoclass("javax.crypto.Cipher")
        cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, self._wrapping_key())  # the Keystore picks the nonce
        blob = bytes(cipher.getIV()) + bytes(cipher.doFinal(key))
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(store_id)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(blob)
        os.replace(temporary, path)

    def delete(self, store_id: str) -> None:
        shred(self._path(store_id))


# ---------------------------------------------------------------- choosing one


def on_android() -> bool:
    return hasattr(sys, "getandroidapilevel") or "ANDROID_ARGUMENT" in os.environ


def default_key_store(data_dir: str | Path | None = None) -> KeyStore:
    """Android's Keystore on Android; on a desktop the OS keyring, else the key-file fallback."""
    if on_android():
        return AndroidKeystoreKeys(Path(data_dir or ".") / "keys")
    forced = os.environ.get("DOORSTEP_KEY_STORE", "").strip().lower()
    if forced == "file":
        return FileKeys()
    if forced == "keyring" or (not forced and keyring_usable()):
        return KeyringKeys()
    return FileKeys()


# ---------------------------------------------------------------- files that must go


def shred(path: Path) -> None:
    """Overwrite a file with zeros, then remove it. (On flash storage the old blocks may survive
    the overwrite: what protects them is that they are encrypted and the key is gone.)"""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with contextlib.suppress(OSError), open(path, "r+b") as handle:
        handle.write(b"\0" * size)
        handle.flush()
        os.fsync(handle.fileno())
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
