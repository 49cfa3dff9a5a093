"""Beam counters of one namespace, created on first use (names are often data-dependent)."""
from __future__ import annotations

from typing import Any

from apache_beam.metrics import Metrics


class Counters:
    def __init__(self, namespace: str):
        self.namespace = namespace
        self._made: dict[str, Any] = {}

    def inc(self, name: str, value: int = 1) -> None:
        if name not in self._made:
            self._made[name] = Metrics.counter(self.namespace, name)
        self._made[name].inc(value)
