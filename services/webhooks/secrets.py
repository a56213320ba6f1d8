"""Signing secrets, sealed with the service key before they go on the tenancy log.

The dispatcher must read a secret back to sign with it, so it cannot be a hash like an API key;
AES-GCM with a key outside the log (env `WEBHOOK_SECRETS_KEY`, else `$DATA_DIR/webhook-secrets.key`)
keeps it out of anyone's hands who can only read the log. The webhook's ids are the associated
data, so a sealed secret copied onto another webhook does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
KEY_FILE = "webhook-secrets.key"
KEY_ENV = "WEBHOOK_SECRETS_KEY"
NONCE_BYTES = 12


class SealedSecretUnreadable(Exception):
    """Sealed with another key, or altered."""


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the webhook secrets key must be 32 bytes (base64 of them in WEBHOOK_SECRETS_KEY)")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"webhook-secrets:" + key).hexdigest()[:16]

    def seal(self, secret: str, tenant_id: str, webhook_id: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, secret.encode(), _bound_to(tenant_id, webhook_id))
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, tenant_id: str, webhook_id: str) -> str:
        try:
            raw = base64.b64decode(sealed, validate=True)
            opened = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(tenant_id, webhook_id))
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealedSecretUnreadable(
                f"secret of webhook {webhook_id} does not open with key {self.key_id}"
            ) from error
        return opened.decode()


def _bound_to(tenant_id: str, webhook_id: str) -> bytes:
    return f"{tenant_id}/{webhook_id}".encode()


def load_box(env: Mapping[str, str], data_dir: Path) -> SecretBox:
    """The key from the environment, else from the data dir (made there, once, if missing)."""
    given = env.get(KEY_ENV)
    if given:
        return SecretBox(base64.b64decode(given, validate=True))
    return SecretBox(_key_file(data_dir / KEY_FILE))


def _key_file(path: Path) -> bytes:
    """Read the key, or make it. Gateway and dispatcher may start at once: the file appears whole
    (a link of a finished file) or not at all, and whoever links second reads the first's key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return base64.b64decode(path.read_text().strip(), validate=True)
