"""FineWeb quality rules (datatrove's FineWebQualityFilter defaults): crafted pages, then ``curation docs``."""
from __future__ import annotations

import json
from pathlib import Path

from curation.io.docfiles import iter_documents
from filters.fineweb import FineWebConfig, FineWebQualityFilter
from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent

ARTICLE = [
    "The river town of Hammersmith has a long and varied history that goes back to the early middle ages.",
    "Farmers came to the valley with their families, and they built houses of stone and timber near the water.",
    "Over the years the town grew, and the merchants opened shops that sold cloth, tools and grain to travellers.",
    "Schools were founded, a library was built, and the people took pride in the bridge that crossed the river.",
    "In the winter the river froze, and the children of the town would skate on it from the mill to the church.",
    "The old market hall still stands in the square, although it has been rebuilt twice since it was first opened.",
    "Visitors who come to the town in the summer can walk along the towpath and watch the boats go up the river.",
]


def article(extra: list[str] | None = None) -> str:
    return "\n".join(ARTICLE + (extra or []))


def test_prose_passes():
    assert FineWebQualityFilter().check(article()) is None


def test_line_punctuation_ratio():
    headlines = [line.rstrip(".") for line in ARTICLE]
    assert FineWebQualityFilter().check("\n".join(headlines)) == "line_punct_ratio"
    # 1 of 8 lines ends in a stop character (0.125 >= 0.12): kept; 1 of 9 (0.111): dropped
    assert FineWebQualityFilter().check("\n".join(headlines + [ARTICLE[0]])) is None
    assert FineWebQualityFilter().check("\n".join(headlines + headlines[:1] + [ARTICLE[0]])) == "line_punct_ratio"
    assert FineWebQualityFilter(line_punct_exclude_zero=True).check("\n".join(headlines)) is None
    assert FineWebQualityFilter(line_punct_thr=None).check("\n".join(headlines)) is None


def test_short_lines_and_blank_lines():
    menu = ["Home.", "News.", "Sport.", "Weather.", "Contact us.", "About the town.", "Events.", "Shop.",
            "Tickets.", "Maps.", "Travel.", "Help.", "Search.", "Jobs.", "Podcasts."]
    assert FineWebQualityFilter().check(article(menu)) == "short_line_ratio"  # 15 of 22 lines <= 30 chars (0.68)
    assert FineWebQualityFilter().check(article(menu[:12])) is None  # 12 of 19: 0.63 < 0.67
    # blank lines are not lines: double spacing changes nothing
    assert FineWebQualityFilter().check("\n\n".join(ARTICLE)) is None
    assert FineWebQualityFilter().check(" \n\n") == "empty"


def test_repeated_line_characters():
    # one "Advertisement" repeated in a ~750-character article: 13 / 753 = 1.7% of the characters
    text = article(["Advertisement", "Advertisement"])
    assert FineWebQualityFilter().check(text) == "char_dup_ratio"
    assert FineWebQualityFilter(char_duplicates_ratio=0.02).check(text) is None


def test_newlines_per_word():
    # long one-word lines ending in a period: not short, punctuated, not repeated, but a list
    names = [f"Internationalisation{i:03d}abcdefghij." for i in range(30)]
    page = "\n".join(ARTICLE[:1] + names)
    assert FineWebQualityFilter().check(page) == "list_ratio"  # 30 newlines / 81 words > 0.3
    assert FineWebQualityFilter(new_line_ratio=None).check(page) is None


def test_config_builds_the_step_and_counts():
    step = FineWebConfig(enabled=True, short_line_length=10).step()
    assert step.short_line_length == 10 and step.stop_chars == (".", "'", '"', "!", "?")
    kept, counts = step.run([{"id": "a", "text": article()}, {"id": "b", "text": "x\ny\nz"}])
    assert [d["id"] for d in kept] == ["a"] and counts["dropped:line_punct_ratio"] == 1


def news_page(doc_id: str, lines: list[str]) -> dict:
    return {"id": doc_id, "url": f"https://news.example.org/{doc_id}", "text": "\n".join(lines)}


def test_fineweb_config_through_curation_docs(tmp_path):
    """configs/fineweb.yaml: pages that pass every Gopher rule and C4 rule, dropped by FineWeb's."""
    docs = [
        news_page("keep", ARTICLE),
        news_page("ads", ARTICLE[:4] + ["Advertisement"] + ARTICLE[4:] + ["Advertisement"]),
        news_page("headlines", [line.rstrip(".") for line in ARTICLE]),
        news_page("teaser", ARTICLE[:3] + ["Read more.", "Share this.", "Print story.", "Email a friend.",
                                           "Comments (4).", "Related stories.", "Most read.", "Latest news.",
                                           "Weather today."]),
    ]
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out = tmp_path / "out"
    assert main(["docs", "--input", str(source), "--output", str(out),
                 "--config", str(REPO / "configs" / "fineweb.yaml")]) == 0
    stats = json.loads((out / "stats.json").read_text())["counters"]
    assert stats["gopher_quality"]["out"] == stats["gopher_repetition"]["in"] == 4  # Gopher drops none of them
    fineweb = stats["fineweb"]
    assert fineweb["in"] == 4 and fineweb["out"] == 1
    assert fineweb["dropped:char_dup_ratio"] == fineweb["dropped:line_punct_ratio"] == 1
    assert fineweb["dropped:short_line_ratio"] == 1
    assert stats["c4"]["in"] == 1  # FineWeb runs on the extracted text, before C4 cleaning
    kept = [d["id"] for p in sorted(out.rglob("part-*")) for d in iter_documents(str(p))]
    assert kept == ["keep"]
