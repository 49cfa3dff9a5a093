"""A small realistic corpus for tokenizer tests and the tokenizer benchmark.

Prose from the shipped sample (William Morris, *News from Nowhere*, public domain: later
chapters in ``sample/reference/books.jsonl``), the plain-text records of the shipped WET file
(web pages in English, German, French, Spanish, Italian, code), and hand-written lines in other
scripts (CJK, Cyrillic, Arabic, Devanagari, emoji) so that multilingual text is seen in training.
"""
from __future__ import annotations

import json
from pathlib import Path

from curation.document import new_document

REPO = Path(__file__).resolve().parent.parent
BOOKS = REPO / "sample" / "reference" / "books.jsonl"
WET = REPO / "sample" / "wet" / "CC-SAMPLE-2024-22-00000.warc.wet.gz"

MULTILINGUAL = [
    "東京は日本の首都であり、世界最大級の都市圏を形成している。",
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "서울은 대한민국의 수도이며 한강이 도시를 가로질러 흐른다.",
    "Москва — столица России, крупнейший по численности населения город страны.",
    "القاهرة هي عاصمة جمهورية مصر العربية وأكبر مدنها.",
    "दिल्ली भारत की राजधानी है और यमुना नदी के किनारे बसी है।",
    "Ελλάδα είναι χώρα της νοτιοανατολικής Ευρώπης με πλούσια ιστορία.",
    "Zürich liegt am nördlichen Ende des Zürichsees — Straße, Größe, Übermaß.",
    "Les élèves ont étudié la leçon: « Où est la bibliothèque ? »",
    "We loved the trip 🎉🚀 and the food 🍜🍣 — 10/10 would go again 👍🏽.",
    "def main(argv):\n    for i, arg in enumerate(argv):\n        print(f\"{i}: {arg!r}\")\n    return 0",
    "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id;",
]

# Text the round-trip tests encode: emoji (incl. ZWJ sequences and skin tones), CJK,
# scripts never seen in training, control characters, odd whitespace.
ROUND_TRIP_TEXTS = [
    "Hello, world! The quick brown fox jumps over the lazy dog.",
    "Family: 👨‍👩‍👧‍👦, thumbs 👍🏿, flags 🇯🇵🇫🇷, and 🧑🏽‍💻 at work.",
    "日本語のテキスト、中文文本，한국어 텍스트。 龘靐齉",
    "control:\x00\x01\x07\x1b[31m red \x1b[0m\x7f end",
    "tabs\tand\nnewlines\r\nand  double  spaces   and trailing ",
    "  leading spaces, ᚠᚢᚦᚨᚱᚲ runes, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math, \u200bzero\u200dwidth\ufeff",
    "ﬁ ligature, Ｆｕｌｌｗｉｄｔｈ, ① circled, x² superscript",
]


def corpus_documents(repeat_multilingual: int = 20) -> list[dict]:
    """About 240 KB of documents (book chapters, web pages, multilingual lines)."""
    from curation.io.warc import RawRecord, iter_records

    docs = [json.loads(line) for line in BOOKS.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in iter_records(str(WET)):
        if isinstance(record, RawRecord) and record.record_type == "conversion":
            text = record.payload.decode("utf-8", "replace").strip()
            if text:
                docs.append(new_document(text, url=record.url, source="web"))
    for i in range(repeat_multilingual):
        for j, line in enumerate(MULTILINGUAL):
            docs.append(new_document(f"{line} ({i})", url=f"https://example.org/{i}/{j}", source="multi"))
    return docs


SPECIAL_LITERALS = ["<unk>", "<s>", "</s>", "<pad>", "<mask>", "(<unk>)", "[SEP]", "[CLS]", "[UNK]"]


def glue_special_tokens(text: str, rng) -> str:
    """One word in five followed by a literal special token (``</s>``, ``<unk>``, ``[SEP]``, ...)."""
    return " ".join(w + rng.choice(SPECIAL_LITERALS) if rng.random() < 0.2 else w for w in text.split(" "))


def cjk_run(n: int) -> str:
    """~20k characters without a space: the CJK lines of MULTILINGUAL run together (rotated by ``n``)."""
    cjk = "".join(MULTILINGUAL[:3])
    return "".join(cjk[(n + i) % len(cjk):] + cjk[:(n + i) % len(cjk)] for i in range(250))


def special_text_documents(target_bytes: int = 160_000, seed: int = 0) -> list[dict]:
    """Real sentences where the special tokens also occur as text, plus long runs without spaces.

    Three lines of :func:`corpus_documents` a document, :func:`glue_special_tokens` (as in
    scraped chat transcripts or WikiText), and every 40th document a :func:`cjk_run`. Issue 18:
    on this (~160 KB) hf Unigram learned "<unk>" as an ordinary piece and failed with "special
    token '<unk>' got id 5, expected 3".
    """
    import random

    rng = random.Random(seed)
    lines = [p.strip() for d in corpus_documents() for p in d["text"].split("\n") if len(p.strip()) > 20]
    docs, size = [], 0
    while size < target_bytes:
        n = len(docs)
        text = cjk_run(n) if n % 40 == 39 else glue_special_tokens(" ".join(rng.sample(lines, 3)), rng)
        docs.append(new_document(text, url=f"https://example.org/special/{n}", source="special"))
        size += len(text.encode("utf-8"))
    return docs
