"""The small shared helpers: row mapping, the keyring setting, coded errors and lenient decimals."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr
from tradeplane.contracts.base import decimal_or_none
from tradeplane.contracts.errors import CodedError
from tradeplane.runtime.crypto import Keyring
from tradeplane.runtime.rows import from_row, to_columns


@dataclass(frozen=True)
class Item:
    id: int
    secret: bytes | None
    note: str = "-"


def test_a_row_maps_to_the_dataclass_and_back_with_renamed_columns() -> None:
    row = SimpleNamespace(id=7, sealed=b"x", note="kept", other="ignored")

    item = from_row(Item, row, secret="sealed")

    assert item == Item(7, b"x", "kept")
    assert to_columns(item, secret="sealed") == {"id": 7, "sealed": b"x", "note": "kept"}


@dataclass(frozen=True)
class Tally:
    count: int
    index: int


def test_a_database_row_is_read_by_its_mapping_not_its_tuple_attributes() -> None:
    class Row(tuple[object, ...]):  # like SQLAlchemy's Row: `count` and `index` are tuple methods
        _mapping = {"count": 3, "index": 4}

    assert from_row(Tally, Row()) == Tally(3, 4)


def test_a_configured_keyring_opens_what_the_same_setting_sealed() -> None:
    setting = SecretStr(f"k2:{Keyring.generate_key()}")
    blob = Keyring.configured(setting, "TP_X_KEY", "secrets").encrypt(b"hello")

    assert Keyring.configured(setting, "TP_X_KEY", "secrets").decrypt(blob) == b"hello"
    assert blob.startswith(b"k2.")


@pytest.mark.parametrize("setting", [None, SecretStr(""), SecretStr("  ")])
def test_an_unset_keyring_is_a_process_key_with_a_warning(
    setting: SecretStr | None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        first = Keyring.configured(setting, "TP_X_KEY", "webhook secrets")
        second = Keyring.configured(setting, "TP_X_KEY", "webhook secrets")

    blob = first.encrypt(b"hello")
    assert first.decrypt(blob) == b"hello"
    with pytest.raises(InvalidTag):  # a new process key cannot open the previous one's secrets
        second.decrypt(blob)
    assert "TP_X_KEY is not set: webhook secrets are sealed" in caplog.text


def test_a_coded_error_reads_code_then_message() -> None:
    error = CodedError("NOT_POSITIVE", "quantity -1 must be positive")

    assert (error.code, error.message) == ("NOT_POSITIVE", "quantity -1 must be positive")
    assert str(error) == "NOT_POSITIVE: quantity -1 must be positive"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (3, Decimal(3)),
        (0.1, Decimal("0.1")),
        (Decimal("-2"), Decimal("-2")),
        (None, None),
        (True, None),
        ("abc", None),
        ("NaN", None),
        ("inf", None),
    ],
)
def test_numbers_others_report_are_read_leniently(raw: object, expected: Decimal | None) -> None:
    assert decimal_or_none(raw) == expected
