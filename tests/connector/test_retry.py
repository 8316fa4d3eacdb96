"""Exponential backoff with full jitter, capped."""

from __future__ import annotations

import random

import pytest

from portal.connector.retry import backoff_ceiling, next_attempt_delay


def test_each_delay_lies_between_zero_and_the_capped_exponential_ceiling():
    rng = random.Random(7)
    for attempt in range(1, 40):
        ceiling = min(60.0, 1.0 * 2 ** (attempt - 1))
        for _ in range(50):
            assert 0.0 <= next_attempt_delay(attempt, 1.0, 60.0, rng) <= ceiling


def test_the_ceiling_doubles_then_stops_at_the_cap():
    assert [backoff_ceiling(n, 2.0, 30.0) for n in range(1, 7)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff_ceiling(10_000, 2.0, 30.0) == 30.0  # no overflow for a long outage


def test_the_jitter_uses_the_whole_range():
    rng = random.Random(11)
    draws = [next_attempt_delay(5, 1.0, 1000.0, rng) for _ in range(2000)]
    assert min(draws) < 0.5 and max(draws) > 15.5  # ceiling 16
    assert 7 < sum(draws) / len(draws) < 9  # uniform: mean near half the ceiling


def test_the_same_seed_gives_the_same_delays():
    assert [next_attempt_delay(n, 2, 900, random.Random(3)) for n in range(1, 6)] == [
        next_attempt_delay(n, 2, 900, random.Random(3)) for n in range(1, 6)
    ]


def test_a_source_straying_outside_the_range_is_clamped():
    class Wild:
        def uniform(self, a, b):
            return b * 5

    assert next_attempt_delay(3, 1.0, 100.0, Wild()) == 4.0


@pytest.mark.parametrize("attempt, base, cap", [(0, 1, 10), (1, 0, 10), (1, 1, 0)])
def test_nonsense_arguments_are_refused(attempt, base, cap):
    with pytest.raises(ValueError):
        next_attempt_delay(attempt, base, cap)
