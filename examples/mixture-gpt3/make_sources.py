"""Build the toy sources of ``examples/mixture-gpt3.yaml`` (deterministic; rerun to rebuild).

    python examples/mixture-gpt3/make_sources.py PATH/TO/gutenberg-3261-news-from-nowhere.htm

Text: William Morris, *News from Nowhere* (Project Gutenberg ebook 3261, public domain in the
US). The paragraphs are dealt out, without overlap, to five sources named after GPT-3's
Table 2.2, each grouped into documents the way that kind of source looks (short web pages,
long book chapters, one-paragraph encyclopedia stubs). Sizes are chosen so that with the
example's budget every source is repeated or subsampled (epochs between 0.4 and 3.4, as in
GPT-3's table) while the documents stay small next to the budget, so that whole-document
sampling can hit the weights closely.
"""
from __future__ import annotations

import html
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from curation.document import new_document  # noqa: E402
from curation.io.docfiles import write_documents  # noqa: E402

# source: (characters wanted, paragraphs per document (min, max))
SOURCES = {
    "wikipedia": (4_500, (1, 1)),
    "books1": (17_000, (2, 5)),
    "webtext2": (35_000, (1, 3)),
    "books2": (85_000, (2, 5)),
    "common_crawl": (170_000, (1, 3)),
}


def paragraphs(path: str) -> list[str]:
    raw = Path(path).read_text(encoding="utf-8", errors="replace")
    found = re.findall(r"<p[^>]*>(.*?)</p>", raw, flags=re.S | re.I)
    texts = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", p))).strip() for p in found]
    return [t for t in texts if len(t) > 40 and "Gutenberg" not in t]


def main(path: str) -> None:
    paras = paragraphs(path)
    rng = random.Random(1234)
    at = 0
    out_dir = Path(__file__).resolve().parent
    for source, (quota, (lo, hi)) in SOURCES.items():
        docs, size = [], 0
        while size < quota and at < len(paras):
            take = rng.randint(lo, hi)
            group = paras[at:at + take]
            at += take
            text = "\n\n".join(group)
            if source == "wikipedia":  # encyclopedia stubs: the first two sentences
                text = " ".join(re.split(r"(?<=[.!?]) ", text)[:2])
            docs.append(new_document(text, url=f"https://{source}.example/doc/{len(docs):05d}", source=source))
            size += len(text)
        write_documents(str(out_dir / f"{source}.jsonl.gz"), docs)
        print(f"{source}: {len(docs)} documents, {size:,} characters")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/real-sample/gutenberg-3261-news-from-nowhere.htm")
