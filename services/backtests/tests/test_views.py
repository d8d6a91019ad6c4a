from __future__ import annotations

import pytest
from tradeplane.backtests.queries import check_dataset
from tradeplane.backtests.views import result, thin
from tradeplane.contracts.queries import QueryError


def test_thin_keeps_the_first_and_last_point_and_at_most_the_limit() -> None:
    points = list(range(10_001))
    thinned = thin(points, 1000)
    assert len(thinned) == 1000
    assert thinned[0] == 0 and thinned[-1] == 10_000
    assert thinned == sorted(set(thinned))


def test_short_series_are_left_whole() -> None:
    assert thin([1, 2, 3], 1000) == [1, 2, 3]


def test_a_result_reply_leaves_fills_out_and_says_what_it_cut() -> None:
    body = {
        "metrics": {"totalTrades": 3},
        "equity": [{"t": i, "value": "1"} for i in range(5000)],
        "fills": [{}] * 7,
        "trades": [{}] * 3,
    }
    out = result(body, "h" * 64)
    assert "fills" not in out
    assert len(out["equity"]) == 1000
    assert out["truncated"] == {"fills": 7, "equity": 5000}
    assert out["trades"] == body["trades"]
    assert out["resultHash"] == "h" * 64


@pytest.mark.parametrize("dataset", ["recorded", "csv:/etc/passwd"])
def test_datasets_the_workers_cannot_or_must_not_read_are_unavailable(dataset: str) -> None:
    with pytest.raises(QueryError) as caught:
        check_dataset(dataset)
    assert caught.value.reply.error is not None
    assert caught.value.reply.error.code == "DATASET_UNAVAILABLE"
    assert caught.value.reply.error.status == 422


def test_synthetic_datasets_are_available() -> None:
    check_dataset("synthetic:range:42")
