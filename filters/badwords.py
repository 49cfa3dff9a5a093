"""C4's bad-words page filter, with the LDNOOBW lists.

Shipped lists (``filters/data/badwords/``, the "List of Dirty, Naughty, Obscene,
and Otherwise Bad Words", CC BY 4.0, see the ``LICENSE`` and ``README.md`` beside
them) are chosen by name: ``ldnoobw-en-c4`` (377 words, the LDNOOBW commit TFDS
pins for ``c4/en``, the default for English) and ``ldnoobw-en`` (403 words, a
newer list). Other languages: pass ``path`` to any file with one word or phrase
per line (the other LDNOOBW lists work as they are).

Matching follows TFDS C4 3.1.0 (``get_badwords_filter_fn``): words are
regex-escaped and matched in the lower-cased page text only when flanked by a
non-word character or the text's edge; for Japanese, Thai and Chinese (no spaces
between words) any substring matches.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from curation.io.paths import exists, read_bytes
from filters.base import DocumentStep, StepResult

DATA_DIR = Path(__file__).resolve().parent / "data" / "badwords"
UNSPACED_LANGUAGES = ("ja", "th", "zh")


# The shipped list used for a language when no list is named: C4's for English.
DEFAULT_LISTS = {"en": "ldnoobw-en-c4"}
NOT_LISTS = ("LICENSE", "README.md")


def shipped_lists() -> list[str]:
    return sorted(p.name for p in DATA_DIR.iterdir() if p.is_file() and p.name not in NOT_LISTS)


def default_list(language: str) -> str:
    base = language.split("-")[0].lower()
    return DEFAULT_LISTS.get(base, f"ldnoobw-{base}")


def load_words(language: str = "en", path: str | None = None, name: str | None = None) -> list[str]:
    """A word list: from ``path``, else the shipped list ``name``, else ``language``'s default.

    Blank lines are ignored, order kept.
    """
    if path is None:
        name = name or default_list(language)
        file = DATA_DIR / name
        if not file.is_file() or name in NOT_LISTS:
            raise ValueError(f"no shipped bad-words list {name!r} (shipped: {', '.join(shipped_lists())}); "
                             "name one with badwords.list_name or pass a list file with badwords.path")
    else:
        file = path
        if not exists(path):
            raise ValueError(f"bad-words list {path!r} does not exist")
    words = [w.strip().lower() for w in read_bytes(str(file)).decode("utf-8").splitlines()]
    words = list(dict.fromkeys(w for w in words if w))
    if not words:
        raise ValueError(f"bad-words list {file} is empty")
    return words


def compile_badwords(words: list[str], language: str = "en") -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in words)
    if language.split("-")[0] in UNSPACED_LANGUAGES:
        return re.compile(alternatives)
    return re.compile(r"(?:\W|^)({})(?:\W|$)".format(alternatives))


class BadWordsFilter(DocumentStep):
    """Drop pages containing any listed word (rule ``badword``).

    With ``only_matching_language`` (default) a page whose ``language`` field is set
    to another language is passed untouched (C4 applies each list only to pages
    detected in its language); pages with no language recorded are checked.
    """

    name = "badwords"

    def __init__(self, language: str = "en", path: str | None = None, only_matching_language: bool = True,
                 list_name: str | None = None):
        self.language = language
        self.path = path
        self.list_name = list_name
        self.only_matching_language = only_matching_language
        self._regex: re.Pattern[str] | None = None

    def setup(self) -> None:
        if self._regex is None:
            self._regex = compile_badwords(load_words(self.language, self.path, self.list_name), self.language)

    def process(self, doc: dict[str, Any]) -> StepResult:
        if self._regex is None:
            self.setup()
        page_language = (doc.get("language") or "").split("-")[0].lower()
        if self.only_matching_language and page_language and page_language != self.language.split("-")[0].lower():
            return StepResult.keep(doc, {"skipped_other_language": 1})
        if self._regex.search(doc["text"].lower()):
            return StepResult.drop("badword")
        return StepResult.keep(doc)
