"""Training with HuggingFace ``tokenizers``: byte-level BPE, WordPiece, Unigram.

``build_tokenizer`` assembles the pipeline (normaliser, pre-tokeniser, model, decoder) the
config asks for; ``train_hf`` feeds it the sampled texts through ``train_from_iterator``.
"""
from __future__ import annotations

from typing import Iterable

from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from tokenizer.config import TokenizerConfig


def build_tokenizer(config: TokenizerConfig) -> tuple[Tokenizer, trainers.Trainer]:
    """An untrained tokenizer and its trainer for ``config`` (backend hf)."""
    roles = config.roles()
    specials = [AddedToken(t, special=True, normalized=False) for t in config.ordered_special_tokens()]
    unk = roles.get("unk")
    pre = config.resolved_pre_tokenizer
    alphabet = pre_tokenizers.ByteLevel.alphabet() if pre == "byte_level" else []
    if config.algorithm == "bpe":
        tok = Tokenizer(models.BPE(unk_token=unk))
        trainer = trainers.BpeTrainer(vocab_size=config.vocab_size, min_frequency=config.min_frequency,
                                      special_tokens=specials, initial_alphabet=alphabet, show_progress=False)
    elif config.algorithm == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=unk))
        trainer = trainers.WordPieceTrainer(vocab_size=config.vocab_size, min_frequency=config.min_frequency,
                                            special_tokens=specials, show_progress=False)
    else:
        tok = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=config.vocab_size, special_tokens=specials, unk_token=unk,
                                          initial_alphabet=alphabet, max_piece_length=config.max_piece_length,
                                          show_progress=False)
    if config.resolved_normalization == "nfkc":
        tok.normalizer = normalizers.NFKC()
    if pre == "byte_level":  # GPT-2 regex split, then bytes mapped to printable characters
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    elif pre == "metaspace":  # spaces become "▁", kept inside the pieces: decoding restores them
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    else:  # BERT: split on whitespace and punctuation; "##" marks word continuations
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece(prefix="##")
        if "bos" in roles and "eos" in roles:
            cls, sep = roles["bos"], roles["eos"]
            tok.post_processor = processors.TemplateProcessing(
                single=f"{cls} $A {sep}", pair=f"{cls} $A {sep} $B:1 {sep}:1",
                special_tokens=[(cls, list(roles).index("bos")), (sep, list(roles).index("eos"))])
    return tok, trainer


def train_hf(texts: Iterable[str], config: TokenizerConfig) -> Tokenizer:
    """Train on ``texts`` (consumed once, streamed in batches) and return the tokenizer."""
    tok, trainer = build_tokenizer(config)
    tok.train_from_iterator(_batches(texts), trainer=trainer)
    return tok


def _batches(texts: Iterable[str], size: int = 1000):
    # tokenizers pre-tokenises each batch in parallel; batches keep the Python overhead low.
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
