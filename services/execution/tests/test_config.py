"""Executor settings: which partitions a replica owns and whether it publishes the paper feed."""

from __future__ import annotations

import pytest
from tradeplane.execution.config import Settings, parse_partitions


@pytest.mark.parametrize(
    ("text", "owned"),
    [("0-3", (0, 1, 2, 3)), ("0,3,5", (0, 3, 5)), ("0-1,8", (0, 1, 8)), ("7", (7,))],
)
def test_partition_lists_and_ranges_parse(text: str, owned: tuple[int, ...]) -> None:
    assert parse_partitions(text, 16) == owned


@pytest.mark.parametrize("text", ["", "3-1", "0-16", "x"])
def test_malformed_or_out_of_range_partitions_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_partitions(text, 16)


def test_unset_partitions_mean_all_of_them() -> None:
    assert Settings(partitions=4).owned_partitions == (0, 1, 2, 3)


def test_master_key_is_required_outside_development() -> None:
    with pytest.raises(ValueError, match="TP_MASTER_KEY"):
        Settings(env="production")
