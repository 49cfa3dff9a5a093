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
from itertools import chain
from typing import Iterable, Iterator

import pyarrow as pa
import sentencepiece as spm

from tokenizer.config import PRINTABLE_ASCII, TokenizerConfig
from tokenizer.sample import TextSample

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


def column_sentences(texts: pa.ChunkedArray) -> list[bytes] | None:
    """:func:`sentences` of an Arrow text column, as UTF-8 bytes, or None where a line is to be cut.

    Run on the reading's parse thread (:meth:`tokenizer.sample.TextSample.blocks`), beside
    sentencepiece taking the sentences: bytes, not str, are what it reads (the same model), and
    cost no decoding here and no encoding there (200 MB of text, 2 cores: all the sentences are
    read in 0.6 s, not 0.9 s as :func:`sentences` of the texts).
    """
    import pyarrow.compute as pc  # imported here: the other commands do not need it

    lines = pc.list_flatten(pc.split_pattern(texts, "\n"))
    sizes = pc.binary_length(lines)  # a line of at most _CHUNK_CHARS bytes has at most as many characters
    if len(lines) and pc.max(sizes).as_py() > _CHUNK_CHARS and pc.max(pc.utf8_length(lines)).as_py() > _CHUNK_CHARS:
        return None
    # utf8_is_space: not empty, and every character whitespace as str.isspace has it (every code point
    # agrees in pyarrow 25: tests/test_tokenizer.py); these lines and the empty ones are blank
    lines = lines.filter(pc.and_(pc.greater(sizes, 0), pc.invert(pc.utf8_is_space(lines))))
    binary = pa.large_binary() if pa.types.is_large_string(lines.type) else pa.binary()
    return lines.cast(binary).to_numpy(zero_copy_only=False).tolist()


def sentence_stream(texts: Iterable[str]) -> Iterator[str | bytes]:
    """The sentences of ``texts`` (a :class:`TextSample`: a block at a time, split on the parse thread)."""
    if not isinstance(texts, TextSample):
        return sentences(texts)
    return chain.from_iterable(sentences(block.texts) if block.prepared is None else block.prepared
                               for block in texts.blocks(column_sentences))


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
        spm.SentencePieceTrainer.train(sentence_iterator=sentence_stream(texts), model_writer=model,
                                       **trainer_args(config))
    except RuntimeError as exc:  # e.g. "Vocabulary size too high", "vocab_size must be > required chars"
        raise ValueError(f"sentencepiece could not train {config.algorithm} with vocab_size="
                         f"{config.vocab_size}: {exc}") from None
    path = os.path.join(output_dir, MODEL_PREFIX + ".model")
    with open(path, "wb") as fh:
        fh.write(model.getvalue())
    return path
