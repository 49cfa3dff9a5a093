"""The contract every document-level step follows (no Beam here).

A step takes one document dict and returns a :class:`StepResult`: the (possibly
modified) document, or ``None`` with the name of the rule that dropped it, plus
any finer counts (lines removed per rule, ...). ``pipelines.steps.ApplyStep``
runs any step inside Beam and turns the result into metrics counters, so every
stage reports "in", "out" and "dropped:<rule>" the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepResult:
    doc: dict[str, Any] | None
    dropped_by: str | None = None  # rule name when ``doc`` is None
    counts: dict[str, int] = field(default_factory=dict)  # extra counters, e.g. {"lines_removed:javascript": 3}

    @classmethod
    def keep(cls, doc: dict[str, Any], counts: dict[str, int] | None = None) -> "StepResult":
        return cls(doc, None, counts or {})

    @classmethod
    def drop(cls, rule: str, counts: dict[str, int] | None = None) -> "StepResult":
        return cls(None, rule, counts or {})


class DocumentStep:
    """Base class: subclasses set ``name`` and implement :meth:`process`.

    Heavy resources (models, word lists) are loaded in :meth:`setup`, which Beam
    calls once per worker, not per element; ``__init__`` only stores parameters
    so that the step pickles cheaply.
    """

    name: str = "step"

    def setup(self) -> None:
        """Load resources; called once per worker before the first document."""

    def process(self, doc: dict[str, Any]) -> StepResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, doc: dict[str, Any]) -> StepResult:
        return self.process(doc)

    def run(self, docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Apply the step to a list without Beam; returns survivors and counts (for tests, notebooks)."""
        self.setup()
        kept, counts = [], {"in": 0, "out": 0}
        for doc in docs:
            counts["in"] += 1
            result = self.process(doc)
            for key, value in result.counts.items():
                counts[key] = counts.get(key, 0) + value
            if result.doc is None:
                key = f"dropped:{result.dropped_by}"
                counts[key] = counts.get(key, 0) + 1
            else:
                counts["out"] += 1
                kept.append(result.doc)
        return kept, counts
