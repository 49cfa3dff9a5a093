"""Training data for the quality classifier: reading both classes, balancing, the held-out split."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from curation.io.docfiles import iter_documents
from curation.io.paths import expand


@dataclass
class ClassData:
    """The texts of one class and where they came from."""

    name: str  # "positive" or "negative"
    files: list[str]
    texts: list[str] = field(default_factory=list)
    read: int = 0  # documents read (before sampling)
    skipped_empty: int = 0


def read_class(name: str, patterns: list[str], max_chars: int = 100_000) -> ClassData:
    """Every non-empty document text of ``patterns`` (Parquet / JSONL / one-per-line text files)."""
    if not patterns:
        raise ValueError(f"no {name} files given")
    files = expand(patterns)
    data = ClassData(name, files)
    for path in files:
        for doc in iter_documents(path):
            data.read += 1
            text = doc["text"].strip()
            if not text:
                data.skipped_empty += 1
                continue
            data.texts.append(text[:max_chars])
    return data


def check_class(data: ClassData, min_count: int) -> None:
    """A clear error for an empty class or one too small to train and hold out from."""
    if not data.texts:
        raise ValueError(f"the {data.name} class is empty: no document with text in {', '.join(data.files)}")
    if len(data.texts) < min_count:
        raise ValueError(f"the {data.name} class has only {len(data.texts)} document(s); at least {min_count} "
                         f"are needed (--min-per-class)")


def balanced_sample(positive: list[str], negative: list[str], max_per_class: int, seed: int = 0,
                    balance: bool = True) -> tuple[list[str], list[str]]:
    """Seeded random samples of both classes: each capped at ``max_per_class`` and, with
    ``balance``, the larger class cut to the size of the smaller."""
    rng = random.Random(seed)
    cap_pos = cap_neg = max_per_class
    if balance:
        cap_pos = cap_neg = min(len(positive), len(negative), max_per_class)
    return _sample(positive, cap_pos, rng), _sample(negative, cap_neg, rng)


def _sample(items: list[str], count: int, rng: random.Random) -> list[str]:
    if count >= len(items):
        out = list(items)
        rng.shuffle(out)
        return out
    return rng.sample(items, count)


def holdout_split(items: list[str], share: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """(train, held_out): the last ``share`` of a seeded shuffle, at least one held out."""
    rng = random.Random(seed)
    items = list(items)
    rng.shuffle(items)
    n_out = max(1, round(len(items) * share))
    return items[:-n_out], items[-n_out:]
