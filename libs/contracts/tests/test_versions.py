"""The schema-version rules of docs/events.md, held by samples of every earlier version of the messages
analytics reads (`messages/<Model>.v<N>.json`): a consumer built on the current contracts reads them all.

Changing a model so that an older sample no longer reads breaks a subscriber that replays history: the
change must be additive (a new field has a default, a constraint only loosens), and a change of meaning
bumps `SCHEMA_VERSION` and adds a sample of the new version beside the old ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError, create_model
from tradeplane.contracts import PnlUpdated, catalog
from tradeplane.contracts.base import Message

SAMPLES = Path(__file__).parent / "messages"
MODELS: dict[str, type[Message]] = {event.model.__name__: event.model for event in catalog.EVENTS}
ANALYTICS_READS = ("OrderFilled", "TradeClosed", "FillBooked", "PositionChanged", "PnlUpdated")


def samples() -> list[Path]:
    return sorted(SAMPLES.glob("*.v*.json"))


def version_of(path: Path) -> tuple[str, int]:
    name, version = path.name.removesuffix(".json").split(".v")
    return name, int(version)


def body(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@pytest.mark.parametrize("path", samples(), ids=lambda p: p.name)
def test_the_current_model_reads_every_earlier_version(path: Path) -> None:
    name, version = version_of(path)
    model = MODELS[name]

    message = model.model_validate_json(path.read_text())

    assert message.meta.schema_version == version <= model.SCHEMA_VERSION
    assert message.meta.event_id  # idempotent consumers key on it, in every version


def test_each_model_analytics_reads_has_a_sample_of_its_current_version() -> None:
    found = {version_of(path) for path in samples()}

    for name in ANALYTICS_READS:
        assert (name, MODELS[name].SCHEMA_VERSION) in found, f"add messages/{name}.v<N>.json"
    for name, version in found:
        assert all((name, v) in found for v in range(1, version)), f"keep every version of {name}"


def test_pnl_updated_version_1_reads_with_its_equity_and_version_2_with_none() -> None:
    old, new = (PnlUpdated.model_validate(body(SAMPLES / f"PnlUpdated.v{v}.json")) for v in (1, 2))

    assert (old.meta.schema_version, str(old.equity)) == (1, "100043.925")
    assert (new.meta.schema_version, new.equity) == (2, None)


def test_a_required_field_added_without_a_default_breaks_the_rule() -> None:
    """What the samples are for: such a change fails the test above for every earlier message."""
    trade_closed = MODELS["TradeClosed"]
    broken = create_model("TradeClosed", __base__=trade_closed, venue_fee_tier=(str, ...))
    additive = create_model("TradeClosed", __base__=trade_closed, venue_fee_tier=(str, ""))
    old = body(SAMPLES / "TradeClosed.v1.json")

    with pytest.raises(ValidationError, match="venue_fee_tier"):
        broken.model_validate(old)
    assert additive.model_validate(old).model_dump()["venue_fee_tier"] == ""
