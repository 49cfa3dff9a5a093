"""Training with ``sentencepiece`` (BPE and Unigram, byte fallback), from an iterator.

Writes ``spm.model`` and returns the path of the model; :mod:`tokenizer.sp_convert`
turns it into a ``tokenizer.json`` that encodes to the same ids.

Fixed choices (not options), so that conversion is exact and decoding restores the text:
``remove_extra_whitespaces=False``, ``add_dummy_prefix=True`` (as Llama/T5), split by
whitespace, printable ASCII always in the vocabulary, special tokens: control symbols for pad/bos/eos, user-defined symbols
for mask and extras (sentencepiece places them in the first free ids, which keeps our id order).
"""
from __future__ import annotations

import io
import os
from typing import Iterable, Iterator

import sentencepiece as spm

from tokenizer.config import PRINTABLE_ASCII, TokenizerConfig

MODEL_PREFIX = "spm"
MAX_SENTENCE_BYTES = 1 << 16
_CHUNK_CHARS = MAX_SENTENCE_BYTES // 4  # UTF-8 is at most 4 bytes a character


def sentences(texts: Iterable[str]) -> Iterator[str]:
    """Documents -> the lines sentencepiece trains on (it skips longer lines: they are cut)."""
    for text in texts:
        if len(text) <= _CHUNK_CHARS:  # no line to cut: the non-blank lines, without a Python loop (~2x faster)
            yield from filter(str.strip, text.split("\n"))
            continue
        for line in text.split("\n"):
            if not line.strip():
                continue
            for start in range(0, len(line), _CHUNK_CHARS):
                yield line[start:start + _CHUNK_CHARS]


def trainer_args(config: TokenizerConfig) -> dict:
    """Keyword arguments of ``SentencePieceTrainer.train`` for ``config``."""
    roles = config.roles()
    order = list(roles)
    args = dict(
        model_type=config.algorithm, vocab_size=config.vocab_size,
        character_coverage=config.character_coverage, byte_fallback=config.resolved_byte_fallback,
        normalization_rule_name="nfkc" if config.resolved_normalization == "nfkc" else "identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, split_by_whitespace=True,
        allow_whitespace_only_pieces=True, required_chars=PRINTABLE_ASCII, max_sentencepiece_length=config.max_piece_length,
        max_sentence_length=MAX_SENTENCE_BYTES, input_sentence_size=0, shuffle_input_sentence=False,
        num_threads=config.num_threads or os.cpu_count() or 1, minloglevel=2,
    )
    for role in ("pad", "bos", "eos", "unk"):
        args[f"{role}_id"] = order.index(role) if role in roles else -1
        if role in roles:
            args[f"{role}_piece"] = roles[role]
    user = ([roles["mask"]] if "mask" in roles else []) + config.extra_special_tokens()
    if user:
        args["user_defined_symbols"] = user
    return args


def train_sentencepiece(texts: Iterable[str], config: TokenizerConfig, output_dir: str) -> str:
    """Train on ``texts``; returns the path of the written ``.model``."""
    spm.set_random_generator_seed(config.seed)
    # Written through model_writer, not model_prefix: the prefix (an output path) would be
    # stored inside the model and make two otherwise identical models differ.
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(sentence_iterator=sentences(texts), model_writer=model,
                                       **trainer_args(config))
    except RuntimeError as exc:  # e.g. "Vocabulary size too high", "vocab_size must be > required chars"
        raise ValueError(f"sentencepiece could not train {config.algorithm} with vocab_size="
                         f"{config.vocab_size}: {exc}") from None
    path = os.path.join(output_dir, MODEL_PREFIX + ".model")
    with open(path, "wb") as fh:
        fh.write(model.getvalue())
    return path
