"""The size a fastText ``.bin`` model file must have, to tell a whole model from a cut one.

fastText writes a model through a C++ stream without checking it (a full disk gives a short
file and no error) and reads one without checking either: a truncated model loads and scores
every text 0.5, and one cut inside its header crashes the process. The format is fixed
(``fasttext.cc`` ``saveModel``): magic and version (2 x int32), the arguments (12 x int32 and a
double), the dictionary (3 x int32, 2 x int64, then per entry its UTF-8 bytes, a NUL, an int64
count and an int8 type), then the input and output matrices (a quantisation flag byte, two
int64 dimensions, float32 values). So the exact size follows from the loaded model, and a lower
bound (the input matrix alone) from the first 64 bytes.
"""
from __future__ import annotations

import struct

HEADER = struct.Struct("<ii12id")  # magic, version, then dim, ws, epoch, minCount, neg, wordNgrams,
# loss, model, bucket, minn, maxn, lrUpdateRate, t
MAGIC = 793712314  # fasttext.cc FASTTEXT_FILEFORMAT_MAGIC_INT32
DICTIONARY_HEADER = 3 * 4 + 2 * 8
MATRIX_HEADER = 1 + 2 * 8


def header_problem(head: bytes, size: int) -> str | None:
    """Why a file of ``size`` bytes starting with ``head`` cannot be a whole fastText model, or None.
    ``head`` is its first ``HEADER.size`` bytes; the input matrix alone sets a lower bound."""
    if len(head) < HEADER.size:
        return f"truncated ({size} bytes, shorter than a fastText header)"
    fields = HEADER.unpack(head[:HEADER.size])
    if fields[0] != MAGIC:
        return "not a fastText model (no fastText magic number)"
    dim, bucket = fields[2], fields[10]
    least = HEADER.size + DICTIONARY_HEADER + 2 * MATRIX_HEADER + max(bucket, 0) * max(dim, 0) * 4
    if size < least:
        return f"truncated ({size} bytes; its header needs at least {least})"
    return None


def expected_bytes(model) -> int | None:
    """The exact size of the ``.bin`` file of a loaded (not quantised) ``fasttext`` model."""
    if model.is_quantized():
        return None
    try:
        words = model.get_words(on_unicode_error="strict")
        labels = model.get_labels(on_unicode_error="strict")
    except UnicodeDecodeError:
        return None
    entries = sum(len(w.encode("utf-8")) + 1 + 8 + 1 for w in [*words, *labels])
    rows_in, dim = model.get_input_matrix().shape
    rows_out, _ = model.get_output_matrix().shape
    return (HEADER.size + DICTIONARY_HEADER + entries
            + MATRIX_HEADER + rows_in * dim * 4 + MATRIX_HEADER + rows_out * dim * 4)
