"""Train the fastText quality classifier and write its JSON model card.

Positive = reference text (books, Wikipedia, curated pages), negative = raw web
text. Each class is read, checked (empty / too small is an error), sampled
(balanced, capped), split into train and held-out parts, normalised with
``filters.quality.classifier.normalize_for_quality`` and written as fastText lines
``__label__hq <text>``. The model card (``<model>.card.json``) records the data,
sizes, parameters and held-out metrics.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from curation.io.paths import copy_file, size, write_atomic
from filters.quality.classifier import LABEL_HIGH, LABEL_LOW, QualityModel, card_path, normalize_for_quality
from filters.quality.config import TrainConfig
from filters.quality.data import balanced_sample, check_class, holdout_split, read_class
from filters.quality.metrics import summary

CARD_VERSION = 1


def fasttext_params(config: TrainConfig) -> dict:
    """The keyword arguments given to ``fasttext.train_supervised``."""
    return {"dim": config.dim, "epoch": config.epoch, "lr": config.lr, "wordNgrams": config.word_ngrams,
            "minCount": config.min_count, "bucket": config.bucket, "loss": "softmax",
            "thread": config.thread, "seed": config.seed, "verbose": 0}


def write_training_file(path: str, positive: list[str], negative: list[str], seed: int) -> int:
    """fastText's input: one ``__label__x normalised text`` line per example, in a seeded order."""
    lines = [f"{LABEL_HIGH} {normalize_for_quality(t)}" for t in positive]
    lines += [f"{LABEL_LOW} {normalize_for_quality(t)}" for t in negative]
    random.Random(seed).shuffle(lines)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return len(lines)


# fastText is run in a fresh interpreter: repeated trainings inside one process were seen to
# drift (same data and seed, different model after a few runs) and once to stop with "Encountered
# NaN"; a new process per training is deterministic, and a crash in C++ cannot take us down.
_FIT_SCRIPT = """
import json, sys, time
import fasttext
params = json.loads(sys.argv[3])
started = time.perf_counter()
try:
    model = fasttext.train_supervised(input=sys.argv[1], **params)
except Exception as exc:
    print(json.dumps({"error": str(exc)})); sys.exit(3)
seconds = time.perf_counter() - started
model.save_model(sys.argv[2])
print(json.dumps({"seconds": seconds, "words": len(model.words)}))
"""


def train_fasttext(train_file: str, output: str, config: TrainConfig) -> dict:
    """Train on ``train_file`` and save the model to ``output``; returns {"seconds", "words"}."""
    proc = subprocess.run([sys.executable, "-c", _FIT_SCRIPT, train_file, output, json.dumps(fasttext_params(config))],
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    if proc.returncode != 0 or "error" in result:
        reason = result.get("error") or proc.stderr.strip()[-500:] or f"exit status {proc.returncode}"
        raise ValueError(f"fastText training failed ({reason}); the corpora may be too small or too repetitive, "
                         f"or lr={config.lr} too high")
    return result


def train(positive_files: list[str], negative_files: list[str], output: str,
          config: TrainConfig | None = None) -> dict:
    """Train, save ``output`` and its model card; returns the card."""
    config = config or TrainConfig()
    started = time.perf_counter()
    classes = [read_class("positive", positive_files, config.max_chars),
               read_class("negative", negative_files, config.max_chars)]
    for data in classes:
        check_class(data, config.min_per_class)
    pos, neg = balanced_sample(classes[0].texts, classes[1].texts, config.max_per_class, config.seed, config.balance)
    pos_train, pos_held = holdout_split(pos, config.holdout, config.seed)
    neg_train, neg_held = holdout_split(neg, config.holdout, config.seed + 1)
    with tempfile.TemporaryDirectory(prefix="quality-train-") as tmp:
        train_file = os.path.join(tmp, "train.txt")
        write_training_file(train_file, pos_train, neg_train, config.seed)
        # fastText writes its model without checking the write: it goes to a local scratch file, is
        # loaded back (QualityModel checks its exact size), then copied to ``output`` and its size read back.
        saved = os.path.join(tmp, os.path.basename(output) or "model.bin")  # fastText saves local files only
        fit = train_fasttext(train_file, saved, config)
        # Score the held-out text through the saved file, as users will (no card to verify against yet).
        loaded = QualityModel(saved, verify=False)
        held_metrics = summary(loaded.predict(pos_held), loaded.predict(neg_held), config.threshold)
        model_sha256, model_bytes = _sha256(saved), os.path.getsize(saved)
        write_model(saved, output)
    card = {
        "card_version": CARD_VERSION,
        "kind": "fasttext-quality-classifier",
        "model_file": os.path.basename(output),
        "model_sha256": model_sha256,
        "model_bytes": model_bytes,
        "labels": {"positive": LABEL_HIGH, "negative": LABEL_LOW},
        "score": "P(__label__hq), in quality_score",
        "normalization": "filters.quality.classifier.normalize_for_quality: NFKC, lower case, digits -> 0, "
                         "punctuation split, whitespace collapsed",
        "data": {c.name: {"files": c.files, "documents_read": c.read, "empty_skipped": c.skipped_empty,
                          "usable": len(c.texts)} for c in classes},
        "sizes": {"positive_train": len(pos_train), "positive_heldout": len(pos_held),
                  "negative_train": len(neg_train), "negative_heldout": len(neg_held),
                  "vocabulary": fit["words"]},
        "params": {**config.model_dump(mode="json"), "fasttext": fasttext_params(config),
                   "fasttext_package": _fasttext_version()},
        "heldout_metrics": held_metrics,
        "train_seconds": round(fit["seconds"], 3),
        "total_seconds": round(time.perf_counter() - started, 3),
    }
    write_atomic(card_path(output), (json.dumps(card, indent=2, sort_keys=True) + "\n").encode())
    return card


def write_model(saved: str, output: str) -> None:
    """Copy the checked model to ``output`` and read its size back: a short write (a full disk, a
    quota) fails here, before any card says the model is good."""
    copy_file(saved, output)
    written, expected = size(output), os.path.getsize(saved)
    if written != expected:
        raise OSError(f"quality model {output!r}: {written} of {expected} bytes written (disk full?)")


def _fasttext_version() -> str:
    from importlib import metadata

    for name in ("fasttext-numpy2", "fasttext-wheel", "fasttext"):
        try:
            return f"{name}=={metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return "unknown"



def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
