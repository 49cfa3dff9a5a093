"""The one loading API: ``tokenizer.load(DIR)`` -> :class:`LoadedTokenizer`, whatever the backend.

Every tokenizer written by ``curation tokenizer train`` has a ``tokenizer.json`` (HuggingFace
``tokenizers`` format, converted for the sentencepiece backend) and a ``special_tokens.json``
naming the role of each special token. Loading goes through ``tokenizers`` in every case, so
batch encoding uses its native (Rust, multi-threaded) parallelism.

A foreign ``tokenizer.json`` (a directory holding one, or the file itself) also loads: the
special-token roles are then guessed from its added special tokens by their usual names.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from tokenizers import Tokenizer

from curation.io.paths import exists, is_local, join, read_bytes

SPECIAL_ROLES = ("pad", "bos", "eos", "unk", "mask")
TOKENIZER_FILE = "tokenizer.json"
SPECIAL_TOKENS_FILE = "special_tokens.json"

# Usual spellings of each role in foreign tokenizers (GPT-2, Llama, BERT, T5 ...).
_ROLE_GUESSES = {
    "pad": ("<pad>", "[PAD]", "<|pad|>", "<|padding|>"),
    "bos": ("<s>", "[CLS]", "<|begin_of_text|>", "<bos>", "<|startoftext|>"),
    "eos": ("</s>", "[SEP]", "<|endoftext|>", "<|end_of_text|>", "<eos>"),
    "unk": ("<unk>", "[UNK]", "<|unk|>"),
    "mask": ("<mask>", "[MASK]"),
}


class LoadedTokenizer:
    """A trained tokenizer: encode/decode plus the facts a shard manifest records.

    Special tokens written literally in the text (``"</s>"`` in a web page) are encoded as
    ordinary text, never as the special id: only the pipeline inserts EOS/BOS/pad.
    """

    def __init__(self, path: str):
        local = is_local(path)
        if local:
            tokenizer_file = os.path.join(path, TOKENIZER_FILE) if os.path.isdir(path) else path
        else:  # object stores have no directories: a .json names the file, anything else its directory
            tokenizer_file = path if path.endswith(".json") else join(path, TOKENIZER_FILE)
        if not (os.path.isfile(tokenizer_file) if local else exists(tokenizer_file)):
            raise FileNotFoundError(f"no {TOKENIZER_FILE} in {path!r} (train one with `curation tokenizer train`)")
        data = read_bytes(tokenizer_file)
        try:
            self._tok = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise ValueError(f"{tokenizer_file}: not a valid tokenizers file: {exc}") from None
        self._tok.encode_special_tokens = True
        self.path: str = os.path.dirname(os.path.abspath(tokenizer_file)) if local else tokenizer_file.rsplit("/", 1)[0]
        self.sha256: str = hashlib.sha256(data).hexdigest()
        self.vocab_size: int = self._tok.get_vocab_size(with_added_tokens=True)
        roles = _read_roles(join(self.path, SPECIAL_TOKENS_FILE), self._tok)
        self.roles: dict[str, str] = roles  # role -> token text
        self.special_tokens: dict[str, int] = {  # token text -> id, every special token
            t.content: i for i, t in sorted(self._tok.get_added_tokens_decoder().items()) if t.special
        }
        for token in roles.values():
            self.special_tokens.setdefault(token, self._tok.token_to_id(token))
        ids = {role: self._tok.token_to_id(token) for role, token in roles.items()}
        self.pad_id: int | None = ids.get("pad")
        self.bos_id: int | None = ids.get("bos")
        self.eos_id: int | None = ids.get("eos")
        self.unk_id: int | None = ids.get("unk")
        self.mask_id: int | None = ids.get("mask")

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; no special tokens added."""
        return self._tok.encode(text, add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, encoded in parallel by ``tokenizers``; no special tokens added."""
        return [enc.ids for enc in self.encodings(texts)]

    def encodings(self, texts: list[str]) -> list[Any]:
        """``tokenizers`` encodings of each text (``.ids`` is what ``encode_batch`` returns).

        The whole call runs in Rust without the GIL, so another Python thread can work while it
        encodes; reading ``.ids`` (Python lists) is left to the caller, outside that window.
        """
        return self._tok.encode_batch_fast(list(texts), add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        """Text of ``ids`` (special tokens kept, so that nothing is silently lost)."""
        return self._tok.decode(list(ids), skip_special_tokens=False)

    @property
    def backend(self) -> Tokenizer:
        """The underlying ``tokenizers.Tokenizer`` (for offsets, padding, ...)."""
        return self._tok

    def __repr__(self) -> str:
        return f"LoadedTokenizer({self.path!r}, vocab_size={self.vocab_size}, sha256={self.sha256[:12]})"


def _read_roles(special_file: str, tok: Tokenizer) -> dict[str, str]:
    """role -> token text, from ``special_tokens.json`` (checked against the vocabulary) or guessed."""
    if exists(special_file):
        meta: dict[str, Any] = json.loads(read_bytes(special_file))
        roles = {role: entry["token"] for role, entry in (meta.get("roles") or {}).items()}
        for role, token in roles.items():
            want = meta["roles"][role].get("id")
            got = tok.token_to_id(token)
            if got is None or (want is not None and got != want):
                raise ValueError(f"{special_file}: {role} token {token!r} has id {got} in tokenizer.json, "
                                 f"not {want}: the two files do not belong together")
        return roles
    specials = {t.content for t in tok.get_added_tokens_decoder().values() if t.special}
    roles = {}
    for role, names in _ROLE_GUESSES.items():
        found = next((n for n in names if n in specials), None)
        if found is not None:
            roles[role] = found
    return roles


def load(path: str) -> LoadedTokenizer:
    """Load a tokenizer directory written by ``curation tokenizer train`` (or a tokenizer.json)."""
    return LoadedTokenizer(str(path))
