"""Gopher quality and repetition rules (datatrove's thresholds) pinned on crafted pages."""
from __future__ import annotations

from filters.gopher import (
    GopherQualityFilter,
    GopherRepetitionFilter,
    duplicate_ngram_chars,
    find_duplicates,
    split_words,
    top_ngram_chars,
)

PROSE = (
    "The history of the river town is long and varied. Farmers came to the valley with their families, "
    "and they built houses of stone and timber near the water. Over the years the town grew, and merchants "
    "opened shops that sold cloth, tools and grain to travellers. Schools were founded, a library was built, "
    "and the people of the town took pride in the bridge that crossed the river to the fields beyond."
)


def words_page(n: int) -> str:
    vocab = ("the river town has many old houses and the people walk to the market with their bread "
             "while children play near water").split()
    return " ".join(vocab[i % len(vocab)] + str(i // len(vocab)) if i >= len(vocab) else vocab[i]
                    for i in range(n))


def test_prose_passes_both():
    assert GopherQualityFilter().check(PROSE) is None
    assert GopherRepetitionFilter().check(PROSE) is None


def test_min_doc_words_exactly_at_threshold():
    q = GopherQualityFilter(min_stop_words=None)
    text = words_page(50)
    assert len([w for w in split_words(text) if w.isalnum()]) == 50
    assert q.check(text) is None
    assert q.check(words_page(49)) == "gopher_short_doc"
    # punctuation tokens are not words: 49 words plus 30 periods is still short
    assert q.check(words_page(49) + " ." * 30) == "gopher_short_doc"


def test_average_word_length_bounds():
    short = " ".join(["a", "of", "to", "an"] * 20)
    long = " ".join(["internationalisation", "characteristically"] * 30)
    assert GopherQualityFilter(min_stop_words=None).check(short) == "gopher_below_avg_threshold"
    assert GopherQualityFilter(min_stop_words=None).check(long) == "gopher_above_avg_threshold"


def test_symbol_ratios_bullets_and_ellipsis_lines():
    q = GopherQualityFilter()
    assert q.check(PROSE + " #tag" * 12) == "gopher_too_many_hashes"
    assert q.check(PROSE + " \u2026" * 12) == "gopher_too_many_ellipsis"
    bullets = "\n".join(f"\u2022 item number {i} of the list with the town and the river" for i in range(10))
    assert q.check(bullets) == "gopher_too_many_bullets"
    lines = PROSE.split(". ")
    trailing = "\n".join(line + " and so on..." if i % 2 else line for i, line in enumerate(lines))
    assert q.check(trailing) == "gopher_too_many_end_ellipsis"


def test_alpha_ratio_and_stop_words():
    numbers = PROSE + " " + " ".join(str(100000 + i) for i in range(400))
    assert GopherQualityFilter().check(numbers) == "gopher_below_alpha_threshold"
    no_stop = " ".join(w for w in (PROSE + " " + PROSE).replace(",", "").replace(".", "").split()
                       if w not in ("the", "and", "to", "of", "with", "that", "be", "have"))
    assert GopherQualityFilter().check(no_stop) == "gopher_enough_stop_words"
    one_stop = no_stop + " the the the"  # one distinct stop word, however often, is not enough
    assert GopherQualityFilter().check(one_stop) == "gopher_enough_stop_words"
    assert GopherQualityFilter().check(one_stop + " and") is None  # exactly 2 distinct: kept


def test_repetition_helpers():
    assert find_duplicates(["a", "b", "a", "a"]) == (2, 2)
    assert top_ngram_chars("x y x y x y".split(), 2) == len("x y") * 3
    assert duplicate_ngram_chars("a b c a b c".split(), 3) == 3


def test_repeated_lines_and_paragraphs():
    r = GopherRepetitionFilter()
    assert r.check("\n\n".join([PROSE, "Buy now and save.", "Buy now and save.", "Buy now and save."])) == "dup_para_frac"
    menu = "\n".join([PROSE] + ["Home", "About"] * 3)
    assert r.check(menu) == "dup_line_frac"
    spam = "cheap flights cheap flights cheap flights " * 20
    assert r.check(spam).startswith(("top_", "dup"))


def test_step_counts():
    kept, counts = GopherQualityFilter().run([{"id": "1", "text": PROSE}, {"id": "2", "text": "too short"}])
    assert [d["id"] for d in kept] == ["1"] and counts["dropped:gopher_short_doc"] == 1
