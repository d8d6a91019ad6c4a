"""Password policy and argon2id hashing."""

from __future__ import annotations

from tradeplane.gateway.auth.passwords import HASHER, hash_password, verify_password, weakness


def test_password_shorter_than_ten_characters_is_weak() -> None:
    assert weakness("Ab3$efgh9") is not None


def test_password_of_one_character_class_is_weak() -> None:
    assert weakness("abcdefghijklmnop") is not None


def test_long_digits_only_password_is_weak() -> None:
    assert weakness("12345678901234") is not None


def test_password_mixing_letters_and_digits_is_accepted() -> None:
    assert weakness("correcthorse42") is None


def test_password_equal_to_the_email_is_weak() -> None:
    assert weakness("Bob@Example.com", "bob@example.com") is not None


def test_hash_uses_argon2id_with_the_configured_cost() -> None:
    assert HASHER.time_cost == 2 and HASHER.memory_cost == 19456 and HASHER.parallelism == 1


async def test_hashed_password_verifies() -> None:
    stored = await hash_password("correcthorse42")

    assert stored.startswith("$argon2id$")
    assert (await verify_password(stored, "correcthorse42")).ok


async def test_wrong_password_does_not_verify() -> None:
    stored = await hash_password("correcthorse42")

    assert not (await verify_password(stored, "correcthorse43")).ok


async def test_unknown_user_never_verifies() -> None:
    assert not (await verify_password(None, "correcthorse42")).ok


async def test_hash_with_weaker_parameters_is_rehashed_on_login() -> None:
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correcthorse42")

    result = await verify_password(old, "correcthorse42")

    assert result.ok and result.new_hash is not None and HASHER.verify(result.new_hash, "correcthorse42")
