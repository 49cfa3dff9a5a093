"""A sentencepiece ``.model`` -> a ``tokenizers.Tokenizer`` that gives the same ids.

Pieces, scores and piece types come from ``SentencePieceProcessor``; the normaliser's
precompiled character map is read straight from the model's protobuf bytes (the generated
``sentencepiece_model_pb2`` needs protobuf>=7, which Beam's pin excludes).

- Unigram: same pieces and scores; control, byte and user-defined pieces, which sentencepiece
  never matches inside text, get a score far below every normal piece so Viterbi avoids them too.
- BPE: merges rebuilt from the vocabulary, ranked by the score of the merged piece (sentencepiece
  merges the pair whose result scores highest), only ever producing normal pieces.
Both use byte fallback like the model, "▁" for spaces with a dummy prefix on the first word.
"""
from __future__ import annotations

import sentencepiece as spm
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

_AVOID = 1000.0  # how far below the lowest normal piece the never-matched pieces are put


def sp_to_tokenizer(model_path: str, algorithm: str, special_tokens: list[str]) -> Tokenizer:
    sp = spm.SentencePieceProcessor(model_file=model_path)
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    scores = [sp.get_score(i) for i in range(n)]
    normal = [not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i)
                   or pieces[i] in special_tokens) for i in range(n)]
    byte_fallback = any(sp.is_byte(i) for i in range(n))
    unk_id = next(i for i in range(n) if sp.is_unknown(i))
    if algorithm == "unigram":
        floor = min(s for s, ok in zip(scores, normal) if ok) - _AVOID
        vocab = [(p, s if ok or i == unk_id else floor) for i, (p, s, ok) in enumerate(zip(pieces, scores, normal))]
        tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=byte_fallback))
    else:
        vocab_ids = {p: i for i, p in enumerate(pieces)}
        tok = Tokenizer(models.BPE(vocab=vocab_ids, merges=_merges(pieces, scores, normal),
                                   unk_token=pieces[unk_id], byte_fallback=byte_fallback, fuse_unk=True))
    # sentencepiece normalises (character map), always adds the dummy "▁" (even before a space)
    # and turns spaces into "▁"; Metaspace skips the prefix when the text starts with a space.
    charsmap = precompiled_charsmap(model_path)
    steps = [normalizers.Precompiled(charsmap)] if charsmap else []
    tok.normalizer = normalizers.Sequence(steps + [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    # Pieces carry "▁" only as a prefix, so no piece spans "x▁": cutting there changes no result
    # and lets the model work (and cache) word by word instead of on whole documents.
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("▁*[^▁]+|▁+"), behavior="isolated")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special_tokens])
    return tok


def _merges(pieces: list[str], scores: list[float], normal: list[bool]) -> list[tuple[str, str]]:
    """BPE merges: every split of a normal piece into two known normal pieces, best result first."""
    known = {p for p, ok in zip(pieces, normal) if ok}
    ranked = []
    for i, (piece, ok) in enumerate(zip(pieces, normal)):
        if not ok or len(piece) < 2:
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in known and right in known:
                ranked.append((-scores[i], i, cut, left, right))
    ranked.sort()
    return [(left, right) for *_, left, right in ranked]


def precompiled_charsmap(model_path: str) -> bytes:
    """``ModelProto.normalizer_spec.precompiled_charsmap`` (fields 3 and 2), b"" if none."""
    with open(model_path, "rb") as fh:
        spec = _field(fh.read(), 3)
    return _field(spec, 2) if spec else b""


def _field(buf: bytes, number: int) -> bytes:
    """The last length-delimited field ``number`` of a protobuf message (b"" if absent)."""
    pos, found = 0, b""
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        wire = key & 7
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if key >> 3 == number:
                found = buf[pos:pos + size]
            pos += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} in sentencepiece model")
    return found


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
