"""The FineWeb quality rules (Penedo et al. 2024), as datatrove's ``FineWebQualityFilter`` implements them.

Three page-level heuristics FineWeb added on top of the C4 and Gopher rules, measured
on the extracted text (before C4 cleaning, which would remove the very lines they look at):

- ``line_punct_ratio``: fewer than 12% of the non-blank lines end in a stop character;
- ``short_line_ratio``: 67% or more of the non-blank lines are at most 30 characters;
- ``char_dup_ratio``: characters in repeated lines are 1% or more of the text (newlines not counted);
- ``list_ratio``: more than 0.3 newlines per word.

datatrove counts words with NLTK's tokenizer (a download); the Gopher module's offline regex
tokenizer stands in for it. Setting a threshold to ``None`` switches that rule off.
"""
from __future__ import annotations

from typing import Any, Sequence

from pydantic import Field

from curation.config import StageConfig
from filters.base import DocumentStep, StepResult
from filters.gopher import find_duplicates, split_words

# The stop characters of the FineWeb release (datatrove before 0.3); newer datatrove also accepts
# the other Unicode terminal punctuation (。！？ ...): add them to ``stop_chars`` for other languages.
STOP_CHARS = (".", "'", '"', "!", "?")


class FineWebQualityFilter(DocumentStep):
    """Drop list-like, menu-like and line-repetitive pages (datatrove's rule names and defaults)."""

    name = "fineweb"

    def __init__(self, line_punct_thr: float | None = 0.12, line_punct_exclude_zero: bool = False,
                 stop_chars: Sequence[str] = STOP_CHARS, short_line_thr: float | None = 0.67,
                 short_line_length: int = 30, char_duplicates_ratio: float | None = 0.01,
                 new_line_ratio: float | None = 0.3):
        self.line_punct_thr = line_punct_thr
        self.line_punct_exclude_zero = line_punct_exclude_zero
        self.stop_chars = tuple(stop_chars)
        self.short_line_thr = short_line_thr
        self.short_line_length = short_line_length
        self.char_duplicates_ratio = char_duplicates_ratio
        self.new_line_ratio = new_line_ratio

    def check(self, text: str) -> str | None:
        """The name of the first rule the text fails, or None."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return "empty"
        if self.line_punct_thr is not None:
            ratio = sum(line.endswith(self.stop_chars) for line in lines) / len(lines)
            if ratio < self.line_punct_thr and not (ratio == 0 and self.line_punct_exclude_zero):
                return "line_punct_ratio"
        if self.short_line_thr is not None:
            ratio = sum(len(line) <= self.short_line_length for line in lines) / len(lines)
            if ratio >= self.short_line_thr:
                return "short_line_ratio"
        if self.char_duplicates_ratio is not None:
            chars = len(text) - text.count("\n")
            if chars and find_duplicates(lines)[1] / chars >= self.char_duplicates_ratio:
                return "char_dup_ratio"
        if self.new_line_ratio is not None:
            words = split_words(text)
            if not words or text.count("\n") / len(words) > self.new_line_ratio:
                return "list_ratio"
        return None

    def process(self, doc: dict[str, Any]) -> StepResult:
        rule = self.check(doc["text"])
        return StepResult.drop(rule) if rule else StepResult.keep(doc)


class FineWebConfig(StageConfig):
    """``filters.fineweb``: datatrove's FineWebQualityFilter defaults; ``null`` switches a rule off."""

    enabled: bool = False
    line_punct_thr: float | None = Field(0.12, ge=0, le=1)  # line_punct_ratio: drop below
    line_punct_exclude_zero: bool = False  # keep pages where no line ends in a stop character
    stop_chars: list[str] = Field(default_factory=lambda: list(STOP_CHARS), min_length=1)
    short_line_thr: float | None = Field(0.67, ge=0, le=1)  # short_line_ratio: drop at or above
    short_line_length: int = Field(30, ge=0)  # a line of at most this many characters is short
    char_duplicates_ratio: float | None = Field(0.01, ge=0, le=1)  # char_dup_ratio: drop at or above
    new_line_ratio: float | None = Field(0.3, ge=0)  # list_ratio: newlines per word, drop above

    def step(self) -> FineWebQualityFilter:
        return FineWebQualityFilter(**self.model_dump(exclude={"enabled"}))
