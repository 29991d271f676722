"""The request budget: a sliding window per token, 429 blocks; pure, with a fake clock."""

from __future__ import annotations

import pytest
from failover_sync_cloudflare.budget import BudgetExhausted, RequestBudget, budget_for
from pydantic import SecretStr


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_admits_up_to_the_limit_then_names_the_wait() -> None:
    clock = Clock()
    budget = RequestBudget(3, window=300, clock=clock)
    for _ in range(3):
        budget.check()
        budget.record()
        clock.now += 10
    with pytest.raises(BudgetExhausted) as info:
        budget.check()
    assert info.value.retry_after == pytest.approx(270)
    clock.now += 271
    budget.check()
    assert budget.used == 2


def test_room_for_the_sdk_retries_is_asked_for() -> None:
    budget = RequestBudget(5, clock=Clock())
    for _ in range(3):
        budget.record()
    budget.check(need=2)
    with pytest.raises(BudgetExhausted):
        budget.check(need=3)


def test_a_429_blocks_for_its_retry_after() -> None:
    clock = Clock()
    budget = RequestBudget(100, clock=clock)
    budget.block_for(2.5)
    with pytest.raises(BudgetExhausted) as info:
        budget.check()
    assert info.value.retry_after == pytest.approx(2.5)
    clock.now += 2.5
    budget.check()


def test_one_budget_per_token_shared_and_the_lowest_limit_wins() -> None:
    first = budget_for(SecretStr("token-budget-test-a"), 1000)
    again = budget_for(SecretStr("token-budget-test-a"), 500)
    other = budget_for(SecretStr("token-budget-test-b"), 1000)
    assert first is again
    assert first.limit == 500
    assert other is not first
