"""``pipelines.ahead.Ahead``: background calls handed back in submission order, bounded, errors raised."""
from __future__ import annotations

import threading
import time

import pytest

from pipelines.ahead import Ahead


def test_results_come_back_in_submission_order_with_at_most_keep_in_flight():
    ahead = Ahead(3)
    got = []
    try:
        for i in range(10):
            ahead.submit(i, lambda x: (time.sleep(0.001 * ((7 * x) % 5)), x * x)[1], i)
            got += list(ahead.done(keep=2))
            assert len(ahead.in_flight) <= 2
        got += list(ahead.done())
    finally:
        ahead.close()
    assert got == [(i, i * i) for i in range(10)]


def test_calls_run_off_the_callers_thread_and_errors_reach_the_caller():
    ahead = Ahead(1)
    try:
        ahead.submit("who", lambda: threading.current_thread() is threading.main_thread())
        assert list(ahead.done()) == [("who", False)]
        ahead.submit("bad", lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            list(ahead.done())
    finally:
        ahead.close()


def test_reset_drops_what_is_in_flight():
    ahead = Ahead(1)
    try:
        ahead.submit("a", time.sleep, 0.01)
        ahead.submit("b", time.sleep, 0.01)
        ahead.reset()
        assert list(ahead.done()) == []
    finally:
        ahead.close()
