"""Gzip decompression that keeps every byte before the damage.

``gzip.GzipFile`` raises at the first truncated or corrupt block and loses whatever it had
buffered; a reader built on it drops the good lines just before the damage, or the whole file.
:func:`gunzip_chunks` yields decompressed data as it goes (all members, zero padding between
them skipped) and, when the stream is damaged, first yields everything up to the exact bad byte,
then raises :class:`GzipDamage` with where it is.

A zero-filled hole (a preallocated file never written, a disk block lost) is the damage zlib does
not see: deflate decodes zeros as back-references and quietly repeats earlier text until the CRC
at the member's end. A run of ``ZERO_RUN`` zero bytes inside a member (about 2**-512 in real
compressed data) is therefore damage at its first byte.
"""
from __future__ import annotations

import zlib
from typing import BinaryIO, Iterator

CHUNK = 1 << 16
ZERO_RUN = bytes(64)
TRAILER = 8  # CRC-32 and size after a member's deflate data


class GzipDamage(Exception):
    """A truncated or corrupt gzip stream; ``offset`` is in the compressed stream."""

    def __init__(self, reason: str, offset: int, detail: str = ""):
        super().__init__(f"{reason}: {detail} at compressed byte {offset}" if detail
                         else f"{reason} at compressed byte {offset}")
        self.reason = reason
        self.offset = offset


class _Members:
    """zlib over consecutive gzip members; ``offset`` counts compressed bytes consumed."""

    def __init__(self) -> None:
        self.decompressor = zlib.decompressobj(31)
        self.started = False  # the current member has consumed bytes
        self.offset = 0
        self.damage: GzipDamage | None = None

    def snapshot(self) -> tuple:
        return self.decompressor.copy(), self.started, self.offset

    def restore(self, state: tuple) -> None:
        self.decompressor, self.started, self.offset = state[0].copy(), state[1], state[2]

    def feed(self, data: bytes) -> list[bytes]:
        out = []
        while data:
            if not self.started:
                stripped = data.lstrip(b"\x00")  # padding between members (or after the last)
                self.offset += len(data) - len(stripped)
                data = stripped
                if not data:
                    break
            self.started = True
            hole = data.find(ZERO_RUN)
            piece = data if hole < 0 else data[:hole]
            out.append(self.decompressor.decompress(piece))
            if hole >= 0 and not self.decompressor.eof:
                piece = data[:hole + TRAILER]  # the member's CRC and size may end in zero bytes
                trial = self.decompressor.copy()
                try:
                    trial_out = trial.decompress(data[hole:hole + TRAILER])
                except zlib.error:  # zeros over the CRC: the hole, not a zlib error to bisect
                    trial_out = b""
                if trial.eof and trial_out == b"":
                    self.decompressor = trial
                    out.append(trial_out)
                else:
                    piece = data[:hole]
            if not self.decompressor.eof:
                self.offset += len(piece)
                if hole >= 0:
                    self.damage = GzipDamage("damaged_gzip", self.offset, "zero-filled bytes inside a gzip member")
                break
            rest = self.decompressor.unused_data + data[len(piece):]
            self.offset += len(data) - len(rest)
            self.decompressor, self.started, data = zlib.decompressobj(31), False, rest
        return out

    def feed_exactly(self, data: bytes) -> Iterator[bytes]:
        """As :meth:`feed`, but on damage yields the output of every byte before it first."""
        state = self.snapshot()
        try:
            outputs = self.feed(data)
        except zlib.error as exc:
            self.restore(state)
            if len(data) == 1:
                raise GzipDamage("damaged_gzip", self.offset, str(exc)) from None
            middle = len(data) // 2
            yield from self.feed_exactly(data[:middle])
            yield from self.feed_exactly(data[middle:])
            return
        yield from outputs
        if self.damage:
            raise self.damage


def gunzip_chunks(stream: BinaryIO, chunk: int = CHUNK) -> Iterator[bytes]:
    """Decompressed data of every gzip member in ``stream``; :class:`GzipDamage` after the last good byte."""
    members = _Members()
    held = b""  # trailing zero bytes of the last block: the start of a hole or of padding
    while block := stream.read(chunk):
        block = held + block
        keep = len(block) - len(block.rstrip(b"\x00"))  # a short run may go on in the next block
        keep = keep if keep < len(ZERO_RUN) else 0
        data, held = block[:len(block) - keep], block[len(block) - keep:]
        yield from (out for out in members.feed_exactly(data) if out)
    yield from (out for out in members.feed_exactly(held) if out)
    if members.started:
        raise GzipDamage("truncated_gzip", members.offset, "the stream ends inside a gzip member")

