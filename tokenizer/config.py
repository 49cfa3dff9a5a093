"""``TokenizerConfig``: what to train, on how much text, with which special tokens.

Unset options (``None``) take a default that depends on the algorithm and backend
(:data:`DEFAULTS`); combinations that do not exist are refused with a message saying what
to use instead. See docs/tokenizer.md for the table.
"""
from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from curation.config import StageConfig
from tokenizer.load import SPECIAL_ROLES

Algorithm = Literal["bpe", "wordpiece", "unigram"]
Backend = Literal["hf", "sentencepiece"]
Normalization = Literal["nfkc", "none"]
PreTokenizer = Literal["byte_level", "whitespace", "metaspace"]

# (backend, algorithm) -> (default normalization, default pre-tokenizer, allowed pre-tokenizers)
DEFAULTS: dict[tuple[str, str], tuple[str, str, tuple[str, ...]]] = {
    ("hf", "bpe"): ("none", "byte_level", ("byte_level", "metaspace")),        # GPT-2 / Llama-3 style
    ("hf", "wordpiece"): ("nfkc", "whitespace", ("whitespace",)),              # BERT style
    ("hf", "unigram"): ("nfkc", "metaspace", ("metaspace", "byte_level")),
    ("sentencepiece", "bpe"): ("none", "metaspace", ("metaspace",)),           # Llama-2 style
    ("sentencepiece", "unigram"): ("none", "metaspace", ("metaspace",)),       # T5 / Gemma style
}

# Default spelling of each special-token role; WordPiece uses BERT's.
ROLE_TOKENS = {"pad": "<pad>", "bos": "<s>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"}
BERT_ROLE_TOKENS = {"pad": "[PAD]", "bos": "[CLS]", "eos": "[SEP]", "unk": "[UNK]", "mask": "[MASK]"}

# Always in the vocabulary (both backends), whatever the corpus: web text is full of them, and
# with them a literal "</s>" or "<0x41>" in a document is always spelled with ordinary pieces.
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))

_ROLE_SPEC = re.compile(r"^(pad|bos|eos|unk|mask)(?:=(.+))?$")


class TokenizerConfig(StageConfig):
    """Settings of ``curation tokenizer train`` (YAML keys = these field names)."""

    algorithm: Algorithm = "bpe"
    backend: Backend = "hf"
    vocab_size: int = Field(32000, ge=32, le=2_000_000)
    # Roles ("pad", "eos", ...), "role=TOKEN" to respell one, or any other string as an extra
    # special token. Role tokens get ids 0.. in the fixed order pad, bos, eos, unk, mask
    # (those present), extras follow in the given order.
    special_tokens: list[str] = Field(default_factory=lambda: list(SPECIAL_ROLES))
    normalization: Normalization | None = None
    pre_tokenizer: PreTokenizer | None = None
    byte_fallback: bool | None = None       # sentencepiece only (default on); hf BPE is byte-level instead
    min_frequency: int = Field(2, ge=0)      # hf BPE / WordPiece: pairs seen fewer times are not merged
    character_coverage: float = Field(0.9995, gt=0, le=1)  # sentencepiece: rarer characters -> bytes / unk
    max_piece_length: int = Field(16, ge=1)  # unigram (both backends) and sentencepiece BPE
    # Sample budget: the documents with the smallest hash(seed, text) that fit both limits.
    # Both None = stream every document (sentencepiece still holds its input in memory).
    max_docs: int | None = Field(None, ge=1)
    max_bytes: int | None = Field(1 << 30, ge=1)
    # sentencepiece holds its whole input in memory (20 MB of text: unigram 483 MB peak RSS, bpe 152 MB):
    # its sample is also capped at this many bytes, whatever max_bytes says.
    sentencepiece_max_bytes: int = Field(128 << 20, ge=1)
    seed: int = Field(0, ge=0)
    num_threads: int | None = Field(None, ge=1)  # sentencepiece trainer threads (default: all cores)

    @field_validator("special_tokens", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):  # "--set special_tokens=pad,eos" or a YAML string
            value = [v for v in value.split(",")]
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return value

    @model_validator(mode="after")
    def _check_combination(self):
        if (self.backend, self.algorithm) not in DEFAULTS:
            raise ValueError(f"the {self.backend} backend has no {self.algorithm} trainer "
                             f"(sentencepiece trains bpe and unigram; use backend=hf for wordpiece)")
        _, _, allowed = DEFAULTS[(self.backend, self.algorithm)]
        if self.pre_tokenizer is not None and self.pre_tokenizer not in allowed:
            raise ValueError(f"pre_tokenizer={self.pre_tokenizer} does not go with {self.backend} "
                             f"{self.algorithm}; choose one of {', '.join(allowed)}")
        if self.backend == "hf" and self.byte_fallback:
            raise ValueError("byte_fallback is a sentencepiece option: with backend=hf use algorithm=bpe, whose "
                             "byte-level pre-tokenizer covers every byte, or backend=sentencepiece")
        roles = self.roles()
        specials = len(self.ordered_special_tokens())  # raises on duplicates
        byte_level = self.resolved_pre_tokenizer == "byte_level" or self.resolved_byte_fallback
        alphabet = 256 if byte_level else len(PRINTABLE_ASCII)  # always in the vocabulary
        if self.vocab_size < alphabet + specials:
            raise ValueError(f"vocab_size {self.vocab_size} is below the base alphabet: {alphabet} "
                             f"{'bytes' if byte_level else 'printable ASCII characters'} + {specials} special "
                             f"tokens; use at least {alphabet + specials}")
        needs_unk = self.backend == "sentencepiece" or self.algorithm != "bpe" or self.resolved_pre_tokenizer != "byte_level"
        if needs_unk and "unk" not in roles:
            raise ValueError(f"{self.backend} {self.algorithm} needs an unk special token; add 'unk' to special_tokens")
        return self

    # -- resolved settings ---------------------------------------------------------------

    @property
    def resolved_normalization(self) -> str:
        return self.normalization or DEFAULTS[(self.backend, self.algorithm)][0]

    @property
    def resolved_pre_tokenizer(self) -> str:
        return self.pre_tokenizer or DEFAULTS[(self.backend, self.algorithm)][1]

    @property
    def sample_max_bytes(self) -> int | None:
        """The sample's byte budget: ``max_bytes``, capped by ``sentencepiece_max_bytes`` there."""
        if self.backend != "sentencepiece":
            return self.max_bytes
        return min(self.max_bytes or self.sentencepiece_max_bytes, self.sentencepiece_max_bytes)

    @property
    def resolved_byte_fallback(self) -> bool:
        return self.backend == "sentencepiece" and self.byte_fallback is not False

    def roles(self) -> dict[str, str]:
        """role -> token text, in id order (pad, bos, eos, unk, mask; those configured)."""
        spelling = BERT_ROLE_TOKENS if self.algorithm == "wordpiece" else ROLE_TOKENS
        found: dict[str, str] = {}
        for spec in self.special_tokens:
            match = _ROLE_SPEC.match(spec)
            if match:
                role = match.group(1)
                if role in found:
                    raise ValueError(f"special token role {role!r} given twice")
                found[role] = match.group(2) or spelling[role]
        return {role: found[role] for role in SPECIAL_ROLES if role in found}

    def extra_special_tokens(self) -> list[str]:
        return [spec for spec in self.special_tokens if not _ROLE_SPEC.match(spec)]

    def ordered_special_tokens(self) -> list[str]:
        """All special tokens in id order: ids 0..len-1."""
        tokens = list(self.roles().values()) + self.extra_special_tokens()
        dupes = sorted({t for t in tokens if tokens.count(t) > 1})
        if dupes:
            raise ValueError(f"special token(s) {dupes} appear twice")
        return tokens

    def resolved(self) -> dict[str, Any]:
        """The config with every default filled in (for the training report)."""
        data = self.model_dump(mode="json")
        data.update(normalization=self.resolved_normalization, pre_tokenizer=self.resolved_pre_tokenizer,
                     byte_fallback=self.resolved_byte_fallback, roles=self.roles(),
                     special_tokens=self.ordered_special_tokens())
        return data
