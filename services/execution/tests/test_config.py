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


def test_unset_partitions_mean_all_of_them_and_the_feed_with_partition_zero() -> None:
    settings = Settings(partitions=4)

    assert (settings.owned_partitions, settings.publishes_feed) == ((0, 1, 2, 3), True)


def test_replica_without_partition_zero_does_not_publish_the_feed_unless_told() -> None:
    assert not Settings(partitions=4, executor_partitions="1-3").publishes_feed
    assert Settings(partitions=4, executor_partitions="1-3", feed_enabled=True).publishes_feed


def test_master_key_is_required_outside_development() -> None:
    with pytest.raises(ValueError, match="TP_MASTER_KEY"):
        Settings(env="production")
