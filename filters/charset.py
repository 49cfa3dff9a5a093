"""Decode HTML bytes as browsers do: the WHATWG Encoding Standard's labels and order.

1. A byte order mark wins over every declaration (UTF-8, UTF-16LE, UTF-16BE).
2. The HTTP ``charset``, then a ``<meta>`` charset in the first bytes, count only when they are
   WHATWG labels (``unicode_escape`` or ``utf-7`` from a server is not a codec to run on a page);
   a ``<meta>`` that says UTF-16 means UTF-8 (a page that can be read as ASCII to find the meta
   is not UTF-16); ``x-user-defined`` in a meta means windows-1252.
3. One deviation, for crawled data: bytes that are valid UTF-8 (and not plain ASCII) are
   UTF-8 whatever a legacy declaration says, since servers and templates mislabel UTF-8 far more
   often than legacy text happens to be valid UTF-8; a declaration that fails to decode is skipped.
4. Undeclared: valid UTF-8 is UTF-8, else uchardet's guess (resiliparse) mapped to WHATWG.

Each WHATWG encoding is decoded with the Python codec that matches its definition (``gbk`` is
GB18030, ``euc-kr`` is windows-949, ``shift_jis`` is windows-31J, ``big5`` is Big5-HKSCS,
windows-1252 maps its five undefined bytes to C1 controls).
"""
from __future__ import annotations

import codecs
import re

import webencodings

BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16le"), (b"\xfe\xff", "utf-16be"))
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-:.]+)""", re.IGNORECASE)
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([a-zA-Z0-9_\-:.]+)", re.IGNORECASE)
META_SCAN_BYTES = 4096
# WHATWG encoding name -> the Python codec implementing it.
PYTHON_CODECS = {
    "utf-8": "utf-8", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be", "ibm866": "cp866",
    "gbk": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs", "euc-kr": "cp949", "shift_jis": "cp932",
    "euc-jp": "euc_jp", "iso-2022-jp": "iso2022_jp", "koi8-r": "koi8_r", "koi8-u": "koi8_u",
    "macintosh": "mac_roman", "x-mac-cyrillic": "mac_cyrillic", "windows-874": "cp874",
    "iso-8859-8-i": "iso8859_8", "x-user-defined": "x-user-defined",
}
# Encodings whose labels the standard maps to its "replacement" decoder (webencodings predates it).
REPLACEMENT = ("iso-2022-kr", "hz-gb-2312", "iso-2022-cn", "iso-2022-cn-ext")
# Names uchardet reports that are not WHATWG labels.
DETECTOR_NAMES = {"cp949": "euc-kr", "uhc": "euc-kr", "cp932": "shift_jis", "ms932": "shift_jis",
                  "euc-tw": "big5", "tis-620": "windows-874", "iso-8859-11": "windows-874",
                  "ascii": "windows-1252", "utf-16": "utf-16le"}


def _c1_controls(error: UnicodeDecodeError) -> tuple[str, int]:
    """Bytes a single-byte table leaves undefined decode to U+0080..U+00FF (as WHATWG's windows-1252)."""
    return error.object[error.start:error.start + 1].decode("latin-1"), error.start + 1


codecs.register_error("whatwg-c1", _c1_controls)


def whatwg_encoding(label: str | None) -> str | None:
    """The WHATWG encoding name for a label, or None for no label, an unknown one or a replacement one."""
    if not label:
        return None
    encoding = webencodings.lookup(label.strip())
    if encoding is None or encoding.name in REPLACEMENT:
        return None
    return encoding.name


def decode(payload: bytes, encoding: str, errors: str = "strict") -> str:
    """``payload`` decoded with the WHATWG ``encoding`` (raises UnicodeDecodeError when strict)."""
    if encoding == "x-user-defined":
        return payload.decode("latin-1").translate({b: 0xF700 + b for b in range(0x80, 0x100)})
    codec = PYTHON_CODECS.get(encoding, encoding)
    if codec.startswith(("windows-125", "iso-8859-", "iso8859", "koi8", "mac_")) or codec in ("cp874", "cp866"):
        return payload.decode(codec, "whatwg-c1")  # single-byte tables never fail
    return payload.decode(codec, errors)


def bom_encoding(payload: bytes) -> tuple[str, int] | None:
    """(encoding, BOM length) when ``payload`` starts with a byte order mark."""
    for bom, encoding in BOMS:
        if payload.startswith(bom):
            return encoding, len(bom)
    return None


def charset_from_content_type(content_type: str) -> str | None:
    match = HTTP_CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def meta_encoding(payload: bytes) -> str | None:
    """The WHATWG encoding a ``<meta>`` in the first bytes declares (UTF-16 read as UTF-8)."""
    match = META_CHARSET.search(payload[:META_SCAN_BYTES])
    encoding = whatwg_encoding(match.group(1).decode("ascii", "ignore")) if match else None
    if encoding in ("utf-16le", "utf-16be"):
        return "utf-8"
    if encoding == "x-user-defined":
        return "windows-1252"
    return encoding


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def detect(payload: bytes) -> str:
    """uchardet's guess (resiliparse) as a WHATWG encoding; windows-1252 when it has none."""
    from resiliparse.parse.encoding import detect_encoding

    # resiliparse's own WHATWG mapping turns uchardet's "cp949" (EUC-KR) into UTF-8: map here.
    raw = (detect_encoding(payload, html5_compatible=False) or "").lower()
    return whatwg_encoding(raw) or whatwg_encoding(DETECTOR_NAMES.get(raw)) or "windows-1252"


def decode_html(payload: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode HTML bytes; returns (text, WHATWG encoding used). Never raises."""
    bom = bom_encoding(payload)
    if bom:
        encoding, skip = bom
        return decode(payload[skip:], encoding, "replace"), encoding
    utf8 = None  # computed once, when a declaration needs it
    for encoding in (whatwg_encoding(http_charset), meta_encoding(payload)):
        if encoding is None:
            continue
        if encoding.startswith("utf-16") and b"\x00" not in payload[:4096]:
            encoding = "utf-8"  # ASCII-compatible bytes are not UTF-16, whatever the server says
        if encoding != "utf-8":
            if utf8 is None:
                utf8 = not payload.isascii() and _is_utf8(payload)
            if utf8:
                return payload.decode("utf-8"), "utf-8"
        try:
            return decode(payload, encoding), encoding
        except UnicodeDecodeError:
            continue  # a declaration the bytes contradict: the next one, then detection
    if _is_utf8(payload):
        return payload.decode("utf-8"), "utf-8"
    detected = detect(payload)
    return decode(payload, detected, "replace"), detected
