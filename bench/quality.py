"""Quality classifier: fastText (this project) vs GPT-3's recipe (hashed features + logistic regression).

Same data for every model: real prose passages (*News from Nowhere*, the whole book
when /work/shared has it, else the shipped sample) as positives; generated web junk
(menus, boilerplate, keyword stuffing, ads, listings, comment spam and shuffled
"spun" prose) as negatives; a seeded 80/20 split per class. Every text goes through
``filters.quality.classifier.normalize_for_quality``. Prints training time, documents/s scored
(one call per batch, and one document per call as the Beam step does) and held-out
ROC AUC, medians of ``--repeats`` runs.

    python bench/quality.py [--docs 3000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402
from filters.quality.classifier import QualityModel, normalize_for_quality  # noqa: E402
from filters.quality.config import TrainConfig  # noqa: E402
from filters.quality.metrics import roc_auc  # noqa: E402
from filters.quality.train import train_fasttext, write_training_file  # noqa: E402
from tests import quality_corpus  # noqa: E402


def make_data(docs: int, seed: int):
    prose = quality_corpus.prose_passages(1, 3, seed=seed, whole_book=True)
    rng = random.Random(seed)
    rng.shuffle(prose)
    pos = prose[:docs]
    neg = quality_corpus.spam_documents(len(pos), seed=seed + 1, prose=pos)
    cut = int(len(pos) * 0.8)
    return (pos[:cut], neg[:cut]), (pos[cut:], neg[cut:])


def per_doc_rate(score_one, texts: list[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        score_one(text)
    return len(texts) / (time.perf_counter() - started)


def bench_fasttext(train, test, config: TrainConfig) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        train_file, model_file = os.path.join(tmp, "train.txt"), os.path.join(tmp, "model.bin")
        write_training_file(train_file, train[0], train[1], config.seed)
        fit = train_fasttext(train_file, model_file, config)
        model = QualityModel(model_file)
        texts = test[0] + test[1]
        started = time.perf_counter()
        scores = model.predict(texts)
        batch_rate = len(texts) / (time.perf_counter() - started)
        one_rate = per_doc_rate(model.score, texts)
        size = os.path.getsize(model_file)
    n = len(test[0])
    return {"train_s": fit["seconds"], "batch_docs_s": batch_rate, "one_docs_s": one_rate,
            "auc": roc_auc(scores[:n], scores[n:]), "model_mb": size / 1e6}


def bench_sklearn(train, test, ngram_range: tuple[int, int], n_features: int, seed: int) -> dict:
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = HashingVectorizer(n_features=n_features, alternate_sign=False, preprocessor=normalize_for_quality,
                                   token_pattern=r"\S+", ngram_range=ngram_range, norm="l2")
    texts, labels = train[0] + train[1], np.r_[np.ones(len(train[0])), np.zeros(len(train[1]))]
    started = time.perf_counter()
    model = LogisticRegression(C=10.0, max_iter=1000, random_state=seed)
    model.fit(vectorizer.transform(texts), labels)
    train_s = time.perf_counter() - started
    test_texts = test[0] + test[1]
    started = time.perf_counter()
    scores = model.predict_proba(vectorizer.transform(test_texts))[:, 1]
    batch_rate = len(test_texts) / (time.perf_counter() - started)
    one_rate = per_doc_rate(lambda t: model.predict_proba(vectorizer.transform([t]))[0, 1], test_texts)
    n = len(test[0])
    return {"train_s": train_s, "batch_docs_s": batch_rate, "one_docs_s": one_rate,
            "auc": roc_auc(scores[:n], scores[n:]), "model_mb": model.coef_.nbytes / 1e6}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=3000, help="documents per class (before the 80/20 split)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-features", type=int, default=2 ** 18, help="hashed features for the sklearn models")
    args = harness.parse_args(parser, argv, quick={"docs": 1000, "repeats": 1},
                              smoke={"docs": 150, "repeats": 1, "n_features": 2 ** 14})
    train, test = make_data(args.docs, args.seed)
    print(f"data: {len(train[0])}+{len(train[1])} train, {len(test[0])}+{len(test[1])} held-out documents; "
          f"{args.repeats} repeat(s), medians")
    defaults = TrainConfig()
    rows = {
        f"fastText (bigrams, dim {defaults.dim}, {defaults.epoch} ep)":
            lambda: bench_fasttext(train, test, defaults),
        "fastText (unigrams)": lambda: bench_fasttext(train, test, defaults.model_copy(update={"word_ngrams": 1})),
        "GPT-3: HashingVectorizer + LogReg (unigrams)":
            lambda: bench_sklearn(train, test, (1, 1), args.n_features, args.seed),
        "HashingVectorizer + LogReg (uni+bigrams)":
            lambda: bench_sklearn(train, test, (1, 2), args.n_features, args.seed),
    }
    header = f"{'model':<46}{'train s':>9}{'docs/s batch':>14}{'docs/s 1-by-1':>15}{'held-out AUC':>14}{'MB':>8}"
    print(header)
    print("-" * len(header))
    for name, run in rows.items():
        results = [run() for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(f"{name:<46}{med['train_s']:>9.3f}{med['batch_docs_s']:>14,.0f}{med['one_docs_s']:>15,.0f}"
              f"{med['auc']:>14.4f}{med['model_mb']:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
