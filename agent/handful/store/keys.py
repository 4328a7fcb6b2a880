"""The data key and the ways it is wrapped: OS keyring, passphrase, recovery key.

A random 256-bit data key encrypts the log. It is never stored bare: each file in `keys/`
holds it sealed (AES-256-GCM) under a key-encryption key that lives elsewhere: in the OS
keyring, derived from a passphrase with Argon2id, or derived from the recovery key shown
once at `init`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from handful.errors import KeyUnavailable
from handful.store.files import Files
from handful.store.layout import HEAD_SERVICE

KEYRING_SERVICE = "handful"
ARGON2 = {"memory_cost": 65536, "iterations": 3, "lanes": 4}  # 64 MiB, ~80 ms here

# Backends that would store the secret in the clear, or not at all.
REFUSED_BACKENDS = {
    "keyring.backends.fail.Keyring": "no keyring service is available",
    "keyring.backends.null.Keyring": "the keyring is disabled",
    "keyrings.alt.file.PlaintextKeyring": "it keeps secrets in a plaintext file",
    "keyrings.alt.file.EncryptedKeyring": "it asks for its own password on every use",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def derive(data_key: bytes, purpose: str) -> bytes:
    """A subkey for one purpose (record encryption, head MAC), so no key serves two."""
    return HKDF(hashes.SHA256(), 32, salt=None, info=f"handful {purpose} v1".encode()).derive(
        data_key)


def _wrap_ad(kind: str, store: bytes) -> bytes:
    return f"handful-key-v1|{kind}|".encode() + store


def wrap(kek: bytes, data_key: bytes, kind: str, store: bytes, nonce: bytes | None = None
         ) -> str:
    nonce = nonce or os.urandom(12)
    return _b64(nonce + AESGCM(kek).encrypt(nonce, data_key, _wrap_ad(kind, store)))


def unwrap(kek: bytes, wrapped: str, kind: str, store: bytes) -> bytes:
    blob = _unb64(wrapped)
    return AESGCM(kek).decrypt(blob[:12], blob[12:], _wrap_ad(kind, store))


# -- passphrase --------------------------------------------------------------------------

def passphrase_kek(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(salt=salt, length=32, iterations=params["iterations"], lanes=params["lanes"],
                    memory_cost=params["memory_cost"]).derive(passphrase.encode())


# -- recovery key ------------------------------------------------------------------------

def new_recovery_key() -> tuple[str, bytes]:
    raw = os.urandom(20)
    text = base64.b32encode(raw).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4)), raw


def parse_recovery_key(text: str) -> bytes:
    cleaned = re.sub(r"[\s-]", "", text).upper()
    try:
        raw = base64.b32decode(cleaned)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 20:
        raise KeyUnavailable("that is not a recovery key (expected 8 groups of 4 letters "
                             "and digits, as shown by `handful init`)")
    return raw


def recovery_kek(raw: bytes, store: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=store, info=b"handful recovery v1").derive(raw)


# -- keyring -----------------------------------------------------------------------------

def keyring_backend() -> Any:
    """The OS keyring, or a clear error when it is missing or would store in the clear."""
    try:
        import keyring
        import keyring.errors
    except ImportError:  # pragma: no cover - keyring is a dependency
        raise KeyUnavailable("the keyring package is not installed") from None
    backend = keyring.get_keyring()
    parts = list(getattr(backend, "backends", None) or [backend])
    if not parts:
        raise KeyUnavailable(_no_keyring("no keyring service is available"), reason="keyring")
    for part in parts:
        name = f"{type(part).__module__}.{type(part).__name__}"
        if name in REFUSED_BACKENDS:
            raise KeyUnavailable(_no_keyring(f"the keyring backend {name} is refused: "
                                             f"{REFUSED_BACKENDS[name]}"), reason="keyring")
        if getattr(part, "priority", 1) <= 0:
            raise KeyUnavailable(_no_keyring(f"the keyring backend {name} is not usable"),
                                 reason="keyring")
    return keyring


def _no_keyring(why: str) -> str:
    return (f"{why}; set HANDFUL_PASSPHRASE to protect the store with a passphrase instead, "
            "or start an OS keyring (GNOME Keyring, KWallet, macOS Keychain, Windows "
            "Credential Manager)")


def forget_keyring_entries(folder: Path) -> int:
    """Delete from the OS keyring the secrets this store's keyring wrappings name (for
    `uninstall --purge`: the data goes, so must its key). Returns how many were deleted."""
    deleted = 0
    for path in sorted(folder.glob("keyring-*.json")):
        # an entry already gone, or no keyring here: nothing to delete (backends raise many
        # kinds of error)
        with contextlib.suppress(Exception):
            doc = json.loads(path.read_text())
            keyring_backend().delete_password(doc["service"], doc["account"])
            deleted += 1
        with contextlib.suppress(Exception):  # the copy of the head kept beside it
            keyring_backend().delete_password(HEAD_SERVICE, doc["account"])
            deleted += 1
    return deleted


# -- the key files -----------------------------------------------------------------------

@dataclass
class KeyFiles:
    folder: Path
    store: bytes
    files: Files

    def _write(self, name: str, doc: dict[str, Any]) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.files.replace(self.folder / name, json.dumps(doc, indent=2).encode() + b"\n")

    def _read(self, name: str) -> dict[str, Any] | None:
        path = self.folder / name
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise KeyUnavailable(f"{path} cannot be read: {error}") from None
        if not isinstance(doc, dict) or doc.get("version") != 1:
            raise KeyUnavailable(f"{path} is not a Handful key file this version reads")
        return doc

    # passphrase
    def add_passphrase(self, data_key: bytes, passphrase: str) -> None:
        salt = os.urandom(16)
        kek = passphrase_kek(passphrase, salt, ARGON2)
        self._write("passphrase.json", {
            "version": 1, "kind": "passphrase", "kdf": "argon2id", "salt": _b64(salt),
            **ARGON2, "wrapped": wrap(kek, data_key, "passphrase", self.store)})

    def has_passphrase(self) -> bool:
        return (self.folder / "passphrase.json").exists()

    def open_with_passphrase(self, passphrase: str) -> bytes:
        doc = self._read("passphrase.json")
        if doc is None:
            raise KeyUnavailable("this store has no passphrase set up; run "
                                 "`handful init --recover` with the recovery key to add one")
        try:
            params = {k: int(doc[k]) for k in ARGON2}
            kek = passphrase_kek(passphrase, _unb64(doc["salt"]), params)
            return unwrap(kek, doc["wrapped"], "passphrase", self.store)
        except InvalidTag:
            raise KeyUnavailable("the passphrase in HANDFUL_PASSPHRASE does not unlock this "
                                 "store", reason="wrong_passphrase") from None
        except (KeyError, ValueError, TypeError, binascii.Error):
            raise KeyUnavailable(f"{self.folder / 'passphrase.json'} is damaged") from None

    # keyring
    def _keyring_name(self, device: str) -> str:
        return f"keyring-{device}.json"

    def has_keyring(self, device: str) -> bool:
        return (self.folder / self._keyring_name(device)).exists()

    def add_keyring(self, data_key: bytes, device: str) -> None:
        keyring = keyring_backend()
        kek = os.urandom(32)
        account = f"{self.store.hex()}:{device}"
        try:
            keyring.set_password(KEYRING_SERVICE, account, _b64(kek))
        except Exception as error:  # keyring backends raise many kinds; all mean "no"
            raise KeyUnavailable(_no_keyring(f"the keyring refused to store the key ({error})")
                                 ) from None
        self._write(self._keyring_name(device), {
            "version": 1, "kind": "keyring", "service": KEYRING_SERVICE, "account": account,
            "wrapped": wrap(kek, data_key, "keyring", self.store)})

    def open_with_keyring(self, device: str) -> bytes:
        doc = self._read(self._keyring_name(device))
        if doc is None:
            raise KeyUnavailable("no key for this machine; set HANDFUL_PASSPHRASE, or run "
                                 "`handful init --recover` with the recovery key")
        keyring = keyring_backend()
        try:
            secret = keyring.get_password(doc["service"], doc["account"])
        except Exception as error:  # keyring backends raise many kinds; all mean "no"
            raise KeyUnavailable(f"the keyring did not answer ({error}); unlock it, or run "
                                 "`handful init --recover` with the recovery key",
                                 reason="keyring") from None
        if not secret:
            raise KeyUnavailable("the store's key is missing from the OS keyring; run "
                                 "`handful init --recover` with the recovery key",
                                 reason="keyring")
        try:
            return unwrap(_unb64(secret), doc["wrapped"], "keyring", self.store)
        except (InvalidTag, ValueError, binascii.Error):
            raise KeyUnavailable("the key in the OS keyring does not unlock this store; run "
                                 "`handful init --recover` with the recovery key") from None

    # recovery
    def add_recovery(self, data_key: bytes) -> str:
        text, raw = new_recovery_key()
        self._write("recovery.json", {
            "version": 1, "kind": "recovery", "kdf": "hkdf-sha256",
            "wrapped": wrap(recovery_kek(raw, self.store), data_key, "recovery", self.store)})
        return text

    def open_with_recovery(self, text: str) -> bytes:
        raw = parse_recovery_key(text)
        doc = self._read("recovery.json")
        if doc is None:
            raise KeyUnavailable(f"{self.folder / 'recovery.json'} is missing; the recovery "
                                 "key cannot be used without it")
        try:
            return unwrap(recovery_kek(raw, self.store), doc["wrapped"], "recovery", self.store)
        except InvalidTag:
            raise KeyUnavailable("that recovery key does not unlock this store") from None
        except (KeyError, ValueError, binascii.Error):
            raise KeyUnavailable(f"{self.folder / 'recovery.json'} is damaged") from None


# -- the browser's sealed queue ----------------------------------------------------------

QUEUE_BITS = 3072
MAX_SEALED = 2 << 20  # bytes of one sealed message's ciphertext (a message is at most 1 MiB)


class QueueKeys:
    """This device's key pair for the browser's queue. The extension seals each event it
    queues to the public key (RSA-OAEP-256 wrapping a fresh AES-256-GCM key), so what waits
    in the browser profile cannot be read there, not even by the extension; only this agent
    opens it. The private key lives in `state/queue-keys.json`, sealed under a key derived
    from the data key; it is made the first time it is asked for."""

    def __init__(self, state_dir: Path, store: bytes, data_key: bytes, files: Files) -> None:
        self.path = state_dir / "queue-keys.json"
        self.store = store
        self.files = files
        self._kek = derive(data_key, "queue key")
        self._keys: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._keys is not None:
            return self._keys
        from cryptography.hazmat.primitives import serialization

        keys: dict[str, Any] = {}
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            doc = {"version": 1, "keys": []}
        except (OSError, ValueError) as error:
            raise KeyUnavailable(f"{self.path} cannot be read: {error}") from None
        for entry in doc.get("keys", []):
            try:
                der = unwrap(self._kek, entry["wrapped"], "queue", self.store)
                keys[entry["kid"]] = serialization.load_der_private_key(der, None)
            except (KeyError, ValueError, InvalidTag, binascii.Error):
                continue  # another store's, or damaged: its sealed items cannot be opened
        self._keys = keys
        return keys

    def current(self) -> tuple[str, bytes]:
        """(key id, public key as SPKI DER) to seal to; made now if there is none."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        keys = self._load()
        if not keys:
            private = rsa.generate_private_key(public_exponent=65537, key_size=QUEUE_BITS)
            der = private.private_bytes(serialization.Encoding.DER,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
            kid = os.urandom(8).hex()
            self.files.replace(self.path, json.dumps({"version": 1, "keys": [
                {"kid": kid, "wrapped": wrap(self._kek, der, "queue", self.store)}]}).encode())
            keys[kid] = private
        kid, private = next(iter(keys.items()))
        spki = private.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return kid, spki

    def unseal(self, kid: str, wrapped_key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
        """The message a sealed item holds; ValueError naming why it cannot be opened."""
        from cryptography.hazmat.primitives import hashes as h
        from cryptography.hazmat.primitives.asymmetric import padding

        private = self._load().get(kid)
        if private is None:
            raise ValueError(f"sealed to a key this agent does not hold ({kid})")
        if len(ciphertext) > MAX_SEALED or len(iv) != 12:
            raise ValueError("not a sealed message of this format")
        try:
            key = private.decrypt(wrapped_key, padding.OAEP(mgf=padding.MGF1(h.SHA256()),
                                                            algorithm=h.SHA256(), label=None))
            return AESGCM(key).decrypt(iv, ciphertext, None)
        except (ValueError, InvalidTag):
            raise ValueError("a sealed message that does not open (altered, or not ours)"
                             ) from None
