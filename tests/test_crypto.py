"""Secrets at rest: encryption round trip and key rotation with MultiFernet."""

from __future__ import annotations

import pytest

from sync_core.crypto import DecryptionError, SecretKeyError, Vault, generate_key, parse_keys


def test_round_trip_and_ciphertext_hides_the_plaintext():
    vault = Vault([generate_key()])
    ciphertext = vault.encrypt("xoxb-secret-bot-token")
    assert "xoxb" not in ciphertext
    assert vault.decrypt(ciphertext) == "xoxb-secret-bot-token"


def test_rotation_new_key_first_old_ciphertexts_still_readable_then_rotated():
    old, new = generate_key(), generate_key()
    stored = Vault([old]).encrypt("client-secret")

    during = Vault([new, old])
    assert during.decrypt(stored) == "client-secret"
    rotated = during.rotate(stored)

    after = Vault([new])
    assert after.decrypt(rotated) == "client-secret"
    with pytest.raises(DecryptionError):
        after.decrypt(stored)


def test_wrong_key_is_a_clear_error_not_garbage():
    with pytest.raises(DecryptionError, match="APPVENTORY_SECRET_KEY"):
        Vault([generate_key()]).decrypt(Vault([generate_key()]).encrypt("x"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [("", "no key given"), (" , ", "no key given"), ("abc", "key 1 of 1"), ("k,", "key 1 of 1")],
)
def test_malformed_keys_are_named_by_position(raw, message):
    with pytest.raises(SecretKeyError, match=message):
        parse_keys(raw)


def test_comma_separated_keys_newest_first():
    a, b = generate_key(), generate_key()
    assert parse_keys(f" {a} , {b} ") == [a, b]
