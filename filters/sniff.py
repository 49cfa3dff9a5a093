"""What a payload is, from its first bytes, as browsers sniff (WHATWG MIME Sniffing, simplified).

Servers mislabel: a PDF served as ``text/html`` whose first kilobytes are ASCII passes any
"mostly printable" test and would become a document of PDF syntax, and a page stored without
HTTP headers has no Content-Type at all. :func:`binary_type` names a binary format by its
signature; :func:`sniffs_as_html` recognises HTML the way the standard's unknown-type rules do.
"""
from __future__ import annotations

# Signatures at byte 0 of common binary formats (documents, archives, images, audio/video,
# fonts, executables): name -> magic bytes.
SIGNATURES = (
    ("pdf", b"%PDF-"), ("postscript", b"%!PS"), ("rtf", b"{\\rtf"), ("zip", b"PK\x03\x04"), ("zip", b"PK\x05\x06"),
    ("gzip", b"\x1f\x8b"), ("bzip2", b"BZh"), ("xz", b"\xfd7zXZ\x00"), ("7z", b"7z\xbc\xaf\x27\x1c"),
    ("rar", b"Rar!\x1a\x07"), ("zstd", b"\x28\xb5\x2f\xfd"), ("png", b"\x89PNG\r\n\x1a\n"), ("gif", b"GIF87a"),
    ("gif", b"GIF89a"), ("jpeg", b"\xff\xd8\xff"), ("tiff", b"II*\x00"), ("tiff", b"MM\x00*"), ("riff", b"RIFF"),
    ("ico", b"\x00\x00\x01\x00"), ("psd", b"8BPS"), ("ogg", b"OggS"), ("mp3", b"ID3"), ("flac", b"fLaC"),
    ("matroska", b"\x1aE\xdf\xa3"), ("woff", b"wOFF"), ("woff2", b"wOF2"), ("truetype", b"\x00\x01\x00\x00\x00"),
    ("opentype", b"OTTO"), ("wasm", b"\x00asm"), ("elf", b"\x7fELF"), ("exe", b"MZ\x90\x00"),
    ("java-class", b"\xca\xfe\xba\xbe"), ("ole2", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), ("sqlite", b"SQLite format 3\x00"),
    ("swf", b"FWS"), ("swf", b"CWS"),
)
MP4_BRAND = b"ftyp"  # ISO media (mp4, mov, heic): the box type at bytes 4..8
WHITESPACE = b"\t\n\x0c\r "
HTML_TAGS = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font", b"<table",
             b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p")
UNKNOWN_TYPES = ("", "unknown/unknown", "application/unknown", "*/*")


def binary_type(payload: bytes) -> str | None:
    """The binary format ``payload`` starts with (``"pdf"``, ``"zip"``, ...), or None."""
    for name, magic in SIGNATURES:
        if payload.startswith(magic):
            return name
    if payload[4:8] == MP4_BRAND:
        return "mp4"
    return None


def sniffs_as_html(payload: bytes) -> bool:
    """Whether the bytes begin (after whitespace, or a UTF-8 BOM) like an HTML document."""
    head = payload[:512].removeprefix(b"\xef\xbb\xbf").lstrip(WHITESPACE).lower()
    if head.startswith(b"<!--"):
        return True
    for tag in HTML_TAGS:
        if head.startswith(tag) and head[len(tag):len(tag) + 1] in (b" ", b">", b"\t", b"\n", b"\r", b"\x0c"):
            return True
    return False
