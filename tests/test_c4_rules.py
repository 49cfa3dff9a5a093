"""Each C4 rule pinned on crafted pages: thresholds, Unicode, citations, empty pages, bad words."""
from __future__ import annotations

import pytest

from curation.config import ConfigError, load_config
from curation.document import new_document
from filters import c4
from filters.badwords import BadWordsFilter, load_words
from filters.config import C4LinesConfig, C4PagesConfig, FiltersConfig, c4_filter
from filters.sentences import count_sentences, count_sentences_per_line, split_line

GOOD = [
    "The first sentence of this page is long enough to keep.",
    "A second line also ends with a full stop and has words.",
    "Finally a third line closes the page with a period.",
]


def clean(lines, step=None):
    step = step or c4.C4Filter()
    return step.clean("\n".join(lines))


def test_good_page_survives_unchanged():
    text, rule, counts = clean(GOOD)
    assert rule is None and text == "\n".join(GOOD)
    assert counts["lines_kept"] == 3


def test_min_words_per_line_exactly_at_threshold():
    five = "One two three four five."
    four = "One two three four."
    text, _, counts = clean(GOOD + [five, four])
    assert five in text.split("\n") and four not in text.split("\n")
    assert counts["lines_removed:too_few_words"] == 1


def test_min_num_sentences_exactly_at_threshold():
    assert clean(GOOD)[1] is None  # exactly 3 sentences: kept
    text, rule, _ = clean(GOOD[:2])
    assert text is None and rule == "too_few_sentences"
    # one line holding three sentences counts three (sentences, not lines)
    assert clean(["This is one. This is two words more. And this is three here."])[1] is None


def test_word_length_exactly_at_threshold():
    step = c4.C4Filter(before_citations=[c4.TooLongWord(10)])
    at = "abcdefghij is ten chars long here."
    over = "abcdefghijk is eleven chars long here."
    text, _, counts = clean(GOOD + [at, over], step)
    assert at in text and over not in text
    assert counts["lines_removed:too_long_word"] == 1
    # the default is C4's 1000
    assert clean(GOOD + ["x" * 1000 + " and four more words."])[2].get("lines_removed:too_long_word") is None
    assert clean(GOOD + ["x" * 1001 + " and four more words."])[2]["lines_removed:too_long_word"] == 1


def test_end_marks_and_ellipsis():
    lines = GOOD + [
        "Does this question line count as kept?",
        "This exclamation line is kept as well!",
        'He said that this line ends with a "quote"',
        "This line ends with an ellipsis and goes...",
        "This line has no terminal punctuation at all",
        "This line ends with a colon and more words:",
    ]
    text, _, counts = clean(lines)
    kept = text.split("\n")
    assert kept == GOOD + lines[3:6]
    assert counts["lines_removed:no_end_mark"] == 3


def test_unicode_punctuation_is_not_an_end_mark_by_default_but_configurable():
    curly = "She wrote that this line ends in a \u201cquote.\u201d"
    ideographic = "This line ends with an ideographic full stop\u3002"
    unicode_ellipsis = "This line ends with one Unicode ellipsis char\u2026"
    text, _, counts = clean(GOOD + [curly, ideographic, unicode_ellipsis])
    assert text == "\n".join(GOOD)  # faithful to C4: only . ? ! " end a line
    assert counts["lines_removed:no_end_mark"] == 3
    lines_cfg = C4LinesConfig(end_marks=[".", "?", "!", '"', "\u201d", "\u3002"])
    text, _, _ = clean(GOOD + [curly, ideographic, unicode_ellipsis], c4_filter(lines_cfg, C4PagesConfig()))
    assert curly in text and ideographic in text and unicode_ellipsis not in text


def test_unicode_whitespace_splits_words():
    nbsp = "One\u00a0two\u00a0three\u00a0four\u00a0five."  # NBSP is whitespace for str.split, as in C4
    assert nbsp in clean(GOOD + [nbsp])[0]


def test_javascript_and_policy_lines():
    js = "Please enable JavaScript in your browser to continue."
    pol = "By using this site you agree to our Terms of Use today."
    cookies = "This website uses cookies to improve your experience."
    text, _, counts = clean(GOOD + [js, pol, cookies])
    assert text == "\n".join(GOOD)
    assert counts["lines_removed:javascript"] == 1 and counts["lines_removed:policy"] == 2


def test_page_rules_lorem_ipsum_and_curly_bracket():
    assert clean(GOOD + ["Lorem ipsum dolor sit amet, consectetur."])[1] == "lorem_ipsum"
    assert clean(GOOD + ["The function body is { return x; } here."])[1] == "curly_bracket"
    # only lines that survive the earlier rules count: a "{" without an end mark is just removed
    assert clean(GOOD + ["var x = { a: 1 }"])[1] is None
    # rule order as in C4: "{" is checked before the policy rule, so the page goes
    assert clean(GOOD + ["Our privacy policy is at { this place } here."])[1] == "curly_bracket"
    # ...but javascript comes before "{", so that line is only removed
    assert clean(GOOD + ["The javascript code is { here } and more."])[1] is None


def test_citation_markers_mid_sentence_are_removed():
    line = "The sky is blue[1] and the grass is green[citation needed] in spring[edit] again."
    text, _, counts = clean(GOOD + [line])
    assert "The sky is blue and the grass is green in spring again." in text
    assert counts["citations_removed"] == 3
    # a marker after the final period is removed too, leaving the line ending in ". " (C4's quirk)
    text, _, counts = clean(GOOD + ["This sentence ends before its marker. [12]"])
    assert counts["lines_removed:no_end_mark"] == 1


def test_page_that_becomes_empty_is_dropped():
    text, rule, counts = clean(["menu", "Home | About | Contact", "Copyright 2024"])
    assert text is None and rule == "too_few_sentences"
    assert counts["lines_removed:no_end_mark"] == 3
    no_min = c4.C4Filter(min_num_sentences=None)
    assert no_min.clean("menu\nHome")[1] == "empty"


def test_too_long_page():
    step = c4.PageLengthFilter(100)
    assert step.process(new_document("x" * 101)).dropped_by == "too_long"
    assert step.process(new_document("x" * 100)).doc is not None


def test_step_run_counts_balance():
    docs = [new_document("\n".join(GOOD), url="http://a/"), new_document("nothing here", url="http://b/")]
    kept, counts = c4.C4Filter().run(docs)
    assert len(kept) == 1 and counts["in"] == counts["out"] + counts["dropped:too_few_sentences"]


def test_rules_switch_off_from_config():
    cfg = load_config(FiltersConfig, None, ["enabled=true", "c4_lines.min_words_per_line=null",
                                             "c4_lines.javascript=false", "c4_pages.min_num_sentences=1"])
    step = c4_filter(cfg.c4_lines, cfg.c4_pages)
    text, rule, _ = step.clean("Short one.\nEnable javascript to see this page.")
    assert rule is None and text == "Short one.\nEnable javascript to see this page."
    with pytest.raises(ConfigError):
        load_config(FiltersConfig, None, ["c4_lines.min_words=3"])  # typo: unknown key


def test_sentence_splitter_is_english_punkt():
    assert split_line('Mr. Smith left at 3 p.m. on Monday! Did he stay? "Yes," she said.') == [
        "Mr. Smith left at 3 p.m. on Monday!", "Did he stay?", '"Yes," she said.']
    assert count_sentences_per_line("J. R. R. Tolkien wrote it. He was English.\nAnother line here.") == 3
    # As C4 counts them: list numbers are sentences of their own...
    assert split_line("20. The first item is here. 1. Another one.") == [
        "20.", "The first item is here.", "1.", "Another one."]
    # ...and on joined text a line ending in a quote runs into the next (C4's line-dedup count).
    text = 'He said "hello"\nAnd then left. Yes.'
    assert count_sentences(text) == 2 and count_sentences_per_line(text) == 3


def test_badwords_lists_by_name():
    c4_list, newer = load_words("en"), load_words(name="ldnoobw-en")
    assert load_words(name="ldnoobw-en-c4") == c4_list and len(c4_list) == 377  # TFDS's pin for c4/en
    assert len(newer) == 403 and set(c4_list) < set(newer) and "viagra" in set(newer) - set(c4_list)
    page = new_document("Ask your doctor whether viagra is right for you. It is a question.")
    assert BadWordsFilter().process(page).doc is not None  # C4 kept it
    assert BadWordsFilter(list_name="ldnoobw-en").process(page).dropped_by == "badword"
    with pytest.raises(ValueError, match="no shipped bad-words list 'nope'"):
        load_words(name="nope")


def test_badwords_whole_words_only():
    words = load_words("en")
    step = BadWordsFilter()
    step.setup()
    ok = new_document("I asked the class about classic assassination novels.")
    bad = new_document("This page mentions " + words[0] + " in passing.")
    at_start = new_document(words[0] + " opens this page.")
    assert step.process(ok).doc is not None
    assert step.process(bad).dropped_by == "badword"
    assert step.process(at_start).dropped_by == "badword"
    other = {**bad, "language": "de"}
    assert step.process(other).doc is not None  # a German page is not judged by the English list


def test_badwords_custom_list_and_missing_language(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("zorblax\n\nquux thing\n")
    step = BadWordsFilter(path=str(path))
    step.setup()
    assert step.process(new_document("A quux thing appears.")).dropped_by == "badword"
    assert step.process(new_document("A quuxthing appears.")).doc is not None
    with pytest.raises(ValueError, match="no shipped bad-words list"):
        BadWordsFilter(language="xx").setup()
