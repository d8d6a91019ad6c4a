"""Auto-disable: consecutive account-breaking venue errors switch a user off until an admin enables them."""

import pytest
from tradeplane.contracts import VenueErrorCategory as Category
from tradeplane.risk.domain import enable, on_venue_error, on_venue_success
from tradeplane.riskrules import Disabled, Enabled, RiskState


def after(*events: Category | None, threshold: int = 5):
    """Apply venue errors in order; None stands for a success. Returns the state and all transitions."""
    state, transitions = RiskState(), []
    for event in events:
        if event is None:
            state, more = on_venue_success(state)
        else:
            state, more = on_venue_error(state, event, threshold)
        transitions += more
    return state, transitions


def test_five_consecutive_auth_errors_disable_the_user():
    state, transitions = after(*[Category.AUTH] * 5)

    assert state.disabled
    assert transitions == [
        Disabled("5 account errors in a row (auth 5); check the exchange credentials", {"auth": 5})
    ]


def test_four_consecutive_auth_errors_do_not_disable():
    state, transitions = after(*[Category.AUTH] * 4)

    assert (state.disabled, transitions) == (False, [])


def test_auth_nonce_and_network_errors_count_together():
    state, _ = after(Category.AUTH, Category.NONCE, Category.NETWORK, Category.NONCE, Category.AUTH)

    assert state.disabled


def test_a_success_in_between_resets_the_streak():
    state, _ = after(*[Category.AUTH] * 4, None, *[Category.AUTH] * 4)

    assert not state.disabled


def test_errors_that_do_not_break_an_account_do_not_count():
    state, _ = after(*[Category.AUTH] * 4, Category.RATE_LIMIT, Category.INSUFFICIENT_FUNDS)

    assert not state.disabled


def test_errors_that_do_not_break_an_account_do_not_reset_the_streak():
    state, _ = after(*[Category.AUTH] * 4, Category.RATE_LIMIT, Category.AUTH)

    assert state.disabled


def test_every_error_is_counted_by_category_even_after_a_success():
    state, _ = after(Category.AUTH, Category.RATE_LIMIT, None, Category.AUTH)

    assert state.error_totals == {Category.AUTH: 2, Category.RATE_LIMIT: 1}
    assert state.consecutive_errors == {Category.AUTH: 1}


def test_threshold_is_a_setting():
    state, _ = after(Category.NONCE, Category.NONCE, threshold=2)

    assert state.disabled


def test_threshold_below_one_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        on_venue_error(RiskState(), Category.AUTH, 0)


def test_errors_after_disabling_report_no_new_transition():
    _, transitions = after(*[Category.AUTH] * 7)

    assert len(transitions) == 1


def test_enable_clears_the_flag_and_the_streak():
    state, _ = after(*[Category.AUTH] * 5)

    enabled, transitions = enable(state)

    assert (enabled.disabled, enabled.disabled_reason, enabled.consecutive_errors) == (False, None, {})
    assert transitions == [Enabled()]


def test_enabling_a_user_who_is_not_disabled_reports_nothing():
    _, transitions = enable(RiskState())

    assert transitions == []
