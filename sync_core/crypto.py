"""Encryption of secrets at rest (Slack bot tokens, any stored credential) with MultiFernet.

Keys come from APPVENTORY_SECRET_KEY, comma-separated, newest first: the first key encrypts,
every key decrypts, so a new key can be deployed before old ciphertexts are rotated.
"""

from __future__ import annotations

import binascii
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyError(ValueError):
    """A configured encryption key is not usable."""


class DecryptionError(Exception):
    """A stored ciphertext cannot be decrypted with any configured key."""


def generate_key() -> str:
    """A new random Fernet key (32 url-safe base64-encoded bytes)."""
    return Fernet.generate_key().decode()


def parse_keys(raw: str) -> list[str]:
    """Split and validate a comma-separated key list; the error names the bad key's position."""
    keys = [part.strip() for part in raw.split(",") if part.strip()]
    if not keys:
        raise SecretKeyError("no key given")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            raise SecretKeyError(
                f"key {position} of {len(keys)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    return keys


class Vault:
    """Encrypts and decrypts short secrets; thread-safe, like Fernet itself."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("no key given")
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext of `plaintext` under the newest key."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext of a ciphertext made under any configured key."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise DecryptionError(
                "a stored secret cannot be decrypted with any key in APPVENTORY_SECRET_KEY"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt a ciphertext under the newest key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise DecryptionError(
                "a stored secret cannot be decrypted with any key in APPVENTORY_SECRET_KEY"
            ) from None


def new_token_secret(prefix: str) -> str:
    """A bearer secret with a recognisable prefix (so leaked tokens are easy to scan for)."""
    return f"{prefix}{secrets.token_urlsafe(32)}"
