"""``train_tokenizer``: sample documents, train with the chosen backend, write the directory.

Output directory:
- ``tokenizer.json``: ``tokenizers`` format (also loads in ``transformers.PreTrainedTokenizerFast``)
- ``special_tokens.json``: role -> token and id (ids 0.. in the order pad, bos, eos, unk, mask)
- ``tokenizer_config.json``: special-token names for ``PreTrainedTokenizerFast.from_pretrained(DIR)``
- ``train_report.json``: resolved config, sample size, vocabulary size, timings, library versions
- ``spm.model``: the sentencepiece model (sentencepiece backend only)
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
from typing import Iterable

from curation.io.paths import copy_file, join, make_dirs, write_bytes
from tokenizer.config import TokenizerConfig
from tokenizer.load import SPECIAL_TOKENS_FILE, TOKENIZER_FILE
from tokenizer.sample import TextSample

REPORT_FILE = "train_report.json"
FORMAT_VERSION = 1


def train_tokenizer(paths: Iterable[str], output_dir: str, config: TokenizerConfig,
                    echo: bool = True) -> dict:
    """Train a tokenizer on the documents of ``paths`` into ``output_dir``; returns the report."""
    make_dirs(output_dir)
    sample = TextSample(paths, config.max_docs, config.sample_max_bytes, config.seed)
    started = time.perf_counter()
    if config.backend == "hf":
        from tokenizer.hf_backend import train_hf

        tok = train_hf(sample, config)
    else:
        from tokenizer.sp_backend import train_sentencepiece
        from tokenizer.sp_convert import sp_to_tokenizer

        with tempfile.TemporaryDirectory(prefix="tokenizer-") as local:  # sentencepiece reads local files
            model_path = train_sentencepiece(sample, config, local)
            tok = sp_to_tokenizer(model_path, config.algorithm, config.ordered_special_tokens())
            copy_file(model_path, join(output_dir, os.path.basename(model_path)))
    seconds = time.perf_counter() - started
    if sample.stats.docs_sampled == 0:
        raise ValueError(f"no text to train on: {sample.stats.docs_seen} documents read from "
                         f"{sample.stats.files} files ({len(sample.stats.files_failed)} unreadable)")
    payload = tok.to_str(pretty=True).encode("utf-8")
    write_bytes(join(output_dir, TOKENIZER_FILE), payload)
    special = special_tokens_manifest(tok, config)
    _write_json(join(output_dir, SPECIAL_TOKENS_FILE), special)
    _write_json(join(output_dir, "tokenizer_config.json"), transformers_config(config))
    report = {
        "format_version": FORMAT_VERSION,
        "tokenizer_sha256": hashlib.sha256(payload).hexdigest(),
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "vocab_size_requested": config.vocab_size,
        "config": config.resolved(),
        "sample": sample.stats.as_dict(),
        "train_seconds": round(seconds, 3),
        "versions": _versions(config.backend),
    }
    _write_json(join(output_dir, REPORT_FILE), report)
    if echo:
        s = sample.stats
        print(f"tokenizer: {config.backend} {config.algorithm}, vocab {report['vocab_size']:,}; sample "
              f"{s.docs_sampled:,} of {s.docs_seen:,} documents, {s.bytes_sampled:,} of {s.bytes_seen:,} bytes "
              f"(seed {config.seed}{', budget reached' if s.budget_reached else ''}); "
              f"{s.docs_bad} bad rows, {len(s.files_failed)} unreadable files; trained in {seconds:.1f}s "
              f"-> {output_dir}")
    return report


def special_tokens_manifest(tok, config: TokenizerConfig) -> dict:
    """``special_tokens.json``: the stable ids, checked against the trained vocabulary."""
    roles = {}
    for role, token in config.roles().items():
        roles[role] = {"token": token, "id": tok.token_to_id(token)}
    extras = {t: tok.token_to_id(t) for t in config.extra_special_tokens()}
    for i, token in enumerate(config.ordered_special_tokens()):
        if tok.token_to_id(token) != i:  # the promise of stable ids; a backend change must not break it
            raise RuntimeError(f"special token {token!r} got id {tok.token_to_id(token)}, expected {i}")
    return {"format_version": FORMAT_VERSION, "roles": roles, "extra": extras,
            "note": "ids 0.. in the order pad, bos, eos, unk, mask (those configured), then extras"}


def transformers_config(config: TokenizerConfig) -> dict:
    names = {f"{role}_token": token for role, token in config.roles().items()}
    if "bos" in names and config.algorithm == "wordpiece":  # BERT names
        names["cls_token"], names["sep_token"] = names["bos_token"], names["eos_token"]
    return {"tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False,
            "additional_special_tokens": config.extra_special_tokens(), **names}


def _versions(backend: str) -> dict:
    import tokenizers

    out = {"python": platform.python_version(), "tokenizers": tokenizers.__version__}
    if backend == "sentencepiece":
        import sentencepiece

        out["sentencepiece"] = sentencepiece.__version__
    return out


def _write_json(path: str, obj: dict) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
