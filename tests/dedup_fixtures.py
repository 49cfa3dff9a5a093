"""Corpora with planted near-duplicates, for the dedup tests and ``bench/dedup.py``.

Base documents are made of real prose: sentences of the shipped public-domain book
(``sample/reference/books.jsonl``, William Morris, *News from Nowhere*), drawn at
random and with a share of their words swapped for other words of the book, so that
no two bases share long passages. Each family is one base plus copies perturbed the
way the web copies pages: word edits, moved sentences, added site boilerplate, cut
endings. Ground truth is the exact Jaccard similarity of the shingle sets, not the
perturbation that was applied.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from curation.document import new_document
from filters.dedup_clusters import Node, clusters_from_edges
from filters.minhash import word_shingles

BOOK = Path(__file__).resolve().parent.parent / "sample" / "reference" / "books.jsonl"
BOILERPLATE = [
    "Home About Contact Privacy Policy Terms of Use Sitemap Subscribe to our newsletter",
    "This website uses cookies to improve your experience Accept all cookies Manage preferences",
    "Copyright 2024 All rights reserved Powered by WordPress Theme by Example Studio",
    "Share this article on Facebook Twitter LinkedIn Email Print Related posts you may like",
    "Skip to main content Menu Search Log in Register Cart 0 items Free shipping over 50",
]


def load_sentences(path: Path = BOOK) -> list[list[str]]:
    """Sentences of the book as word lists (6 to 60 words)."""
    sentences = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            for sent in re.split(r"(?<=[.!?;])\s+", text):
                words = sent.split()
                if 6 <= len(words) <= 60:
                    sentences.append(words)
    return sentences


class CorpusMaker:
    """Deterministic generator of base documents and their perturbed copies."""

    def __init__(self, seed: int = 0, sentences_per_doc: tuple[int, int] = (8, 16), swap_rate: float = 0.2):
        self.rng = random.Random(seed)
        self.sentences = load_sentences()
        self.vocab = [w for s in self.sentences for w in s]
        self.sentences_per_doc = sentences_per_doc
        self.swap_rate = swap_rate

    def base(self) -> list[list[str]]:
        """A new document as a list of sentences (word lists)."""
        rng = self.rng
        doc = []
        for _ in range(rng.randint(*self.sentences_per_doc)):
            words = list(rng.choice(self.sentences))
            for i in range(len(words)):
                if rng.random() < self.swap_rate:
                    words[i] = rng.choice(self.vocab)
            doc.append(words)
        return doc

    def perturb(self, doc: list[list[str]], kind: str, strength: float) -> list[list[str]]:
        """A copy of ``doc`` changed by ``kind`` (edit / reorder / boilerplate / truncate / mixed)."""
        rng = self.rng
        doc = [list(s) for s in doc]
        if kind in ("edit", "mixed"):
            for sent in doc:
                for i in range(len(sent)):
                    if rng.random() < strength:
                        op = rng.random()
                        sent[i] = rng.choice(self.vocab) if op < 0.6 else (
                            "" if op < 0.8 else sent[i] + " " + rng.choice(self.vocab))
        if kind in ("reorder", "mixed"):
            for _ in range(max(1, int(strength * 10))):
                i, j = rng.randrange(len(doc)), rng.randrange(len(doc))
                doc.insert(j, doc.pop(i))
        if kind in ("boilerplate", "mixed"):
            doc.insert(0, rng.choice(BOILERPLATE).split())
            if kind == "boilerplate" or rng.random() < 0.5:
                doc.append(rng.choice(BOILERPLATE).split())
        if kind == "truncate":
            keep = max(1, round(len(doc) * (1 - strength)))
            doc = doc[:keep]
        return doc

    @staticmethod
    def text(doc: list[list[str]]) -> str:
        return " ".join(" ".join(w for w in sent if w) for sent in doc)


def make_family_corpus(families: int, copies: tuple[int, int] = (0, 3), seed: int = 0,
                       strengths: dict[str, tuple[float, float]] | None = None,
                       maker: CorpusMaker | None = None) -> tuple[list[dict], dict[str, int]]:
    """``families`` bases with 0-3 perturbed copies each, shuffled; returns (documents, family of each id)."""
    maker = maker or CorpusMaker(seed)
    strengths = strengths or {"edit": (0.0, 0.06), "reorder": (0.1, 0.4), "boilerplate": (0.0, 0.0),
                              "truncate": (0.02, 0.35), "mixed": (0.0, 0.04)}
    kinds = sorted(strengths)
    docs, family_of = [], {}
    for fam in range(families):
        base = maker.base()
        variants = [base] + [maker.perturb(base, k, maker.rng.uniform(*strengths[k]))
                             for k in (maker.rng.choice(kinds) for _ in range(maker.rng.randint(*copies)))]
        for v, words in enumerate(variants):
            doc = new_document(maker.text(words), url=f"https://site{fam % 97}.example/{fam}/{v}",
                               quality_score=round(maker.rng.random(), 4), source="web")
            docs.append(doc)
            family_of[doc["id"]] = fam
    maker.rng.shuffle(docs)
    return docs, family_of


def exact_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if (a or b) else 1.0


def true_removed(docs: list[dict], family_of: dict[str, int], threshold: float = 0.8, ngram: int = 5,
                 extra_pairs: set[tuple[str, str]] = frozenset(), rule: str = "highest_quality"
                 ) -> tuple[set[str], list[tuple[str, str, float]]]:
    """Documents that exact-Jaccard clustering removes: pairs within families plus ``extra_pairs``
    (candidates any method proposed across families) are scored exactly; returns (removed ids, edges)."""
    by_id = {d["id"]: d for d in docs}
    sets = {i: set(word_shingles(d["text"], ngram)) for i, d in by_id.items()}
    members: dict[int, list[str]] = {}
    for i, fam in family_of.items():
        members.setdefault(fam, []).append(i)
    pairs = {tuple(sorted((a, b))) for ids in members.values() for k, a in enumerate(ids) for b in ids[k + 1:]}
    pairs |= {tuple(sorted(p)) for p in extra_pairs}
    edges = []
    for a, b in sorted(pairs):
        score = exact_jaccard(sets[a], sets[b])
        if score >= threshold:
            edges.append((a, b, score))
    node = {i: Node(i, by_id[i]["quality_score"]) for i in by_id}
    assigned = clusters_from_edges(((node[a], node[b]) for a, b, _ in edges), rule)
    return {x.id for x in assigned if x.duplicate}, edges
