"""The committed AsyncAPI document is the contracts' own: regenerating it changes nothing, and a model
changed without regenerating it is caught, naming what changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pydantic.fields import FieldInfo
from tradeplane.cli import events
from tradeplane.cli.main import app
from tradeplane.contracts import OrderFilled, TradeClosed, asyncapi, catalog
from typer.testing import CliRunner

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"


def test_the_committed_document_is_the_generated_one() -> None:
    assert events.check(COMMITTED) == [], "run `tradeplane events asyncapi > docs/asyncapi.yaml`"


@pytest.fixture
def trade_closed_with_a_new_field() -> Iterator[None]:
    """`TradeClosed` with one more field, as a developer would add it, for the test's duration."""
    fields = TradeClosed.model_fields
    fields["venue_fee_tier"] = FieldInfo(annotation=str, default="")
    TradeClosed.model_rebuild(force=True)
    try:
        yield
    finally:
        del fields["venue_fee_tier"]
        TradeClosed.model_rebuild(force=True)


@pytest.mark.usefixtures("trade_closed_with_a_new_field")
def test_a_model_changed_without_the_document_is_drift() -> None:
    found = events.check(COMMITTED)

    added = "/components/schemas/TradeClosed/properties/venue_fee_tier: not in the committed document"
    assert found == [added]


def test_a_new_subject_without_the_document_is_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    alert = catalog.Event("tp.trade.reopened.{userId}", OrderFilled, (catalog.GATEWAY,), "An alert")
    monkeypatch.setattr(catalog, "EVENTS", (*catalog.EVENTS, alert))

    assert "/channels/tradeReopened: not in the committed document" in events.check(COMMITTED)


def test_the_cli_regenerates_the_document_and_checks_it(tmp_path: Path) -> None:
    runner = CliRunner()

    printed = runner.invoke(app, ["events", "asyncapi"])
    target = tmp_path / "asyncapi.yaml"
    target.write_text(printed.stdout)
    target.write_text(target.read_text().replace("tp.order.filled.>", "tp.order.fills.>"))
    stale = runner.invoke(app, ["events", "asyncapi", "--check", str(target)])

    assert printed.exit_code == 0 and yaml.safe_load(printed.stdout) == asyncapi.document()
    assert stale.exit_code == 1 and "/channels/orderFilled/description: changed" in stale.stderr


def test_each_channel_names_its_stream_retention_key_and_publishers() -> None:
    document = asyncapi.document()

    fills = document["channels"]["orderFilled"]
    assert fills["address"] == "tp.order.filled.{partition}.{userId}"
    assert fills["x-jetstream"] | {"streamSubjects": None} == {
        "stream": "TP_ORDERS",
        "streamSubjects": None,
        "maxAge": "P30D",
        "maxBytes": 2 * 1024**3,
        "duplicateWindow": "PT10M",
        "deduplicationKey": "meta.event_id",
        "ordering": catalog.PER_USER,
        "retentionSetting": "TP_STREAM_LIMITS__ORDERS__MAX_AGE",
    }
    assert document["operations"]["publishOrderFilled"]["x-publishers"] == ["execution"]
    assert document["operations"]["publishDlq"]["x-publishers"] == list(catalog.SERVICES)
    assert document["components"]["schemas"]["PnlUpdated"]["properties"]["equity"]
    assert document["components"]["messages"]["PnlUpdated"]["x-schema-version"] == 2
