"""PII redaction: e-mail addresses (also obfuscated), public IP addresses, phone numbers.

Found spans are replaced by configurable tokens (``<EMAIL>``, ``<IP>``, ``<PHONE>``); the
document is kept. What is found, and why these rules:

- e-mail: ``local@domain.tld``, and the obfuscations people write to fool harvesters:
  ``name at domain dot com``, ``name [at] domain [dot] org``, ``name(at)domain(dot)de``,
  ``name AT domain DOT net``, ``name @ domain . com``. The spelled-out forms need a known
  top-level domain after the last "dot", so "look at this dot com bubble" stays.
- IP: IPv4 and IPv6 found by pattern, parsed by the stdlib ``ipaddress``; only *global*
  addresses are redacted (private, loopback, link-local, documentation and other reserved
  ranges carry no personal information, as in datatrove's ``PIIFormatter``). A dotted quad
  after "version"/"v"/"build" or inside a longer dotted run (``10.0.19041.1.2``) is a version.
- phone: Google's libphonenumber (``phonenumbers``) finds and *validates* numbers against the
  numbering plans of ``phone_regions`` (and any number written with a ``+`` country code), so
  most dates, ISBNs, prices and product codes, which fail the plans, stay; what a plan accepts
  but is a date with a time, a dotted quad, a number after "ISBN" or under 7 digits stays too.

Counters: ``redacted:email``, ``redacted:ip``, ``redacted:phone`` (spans), ``docs_redacted``,
``ip_kept_private`` (non-global addresses left in place). Nothing is dropped.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Sequence

from pydantic import Field

from curation.config import StageConfig
from filters.base import DocumentStep, StepResult

# Top-level domains accepted after a spelled-out "dot" (the common generic and country ones).
SPELLED_TLDS = ("com org net edu gov mil int info biz io co me tv us uk de fr es it nl be ch at se no dk fi pl "
                "cz ru ua ca au nz in jp cn br mx ar za ie pt gr hu ro eu").split()

_LOCAL = r"[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_])?"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = "|".join(SPELLED_TLDS)
# Patterns are anchored on a cheap literal ("@", the spelled "at", ":", ".") and grown from there:
# a regex that starts with a character class is tried at every position of every page.
_LOCAL_BEFORE = re.compile(rf"(?<![\w.%+-]){_LOCAL}\Z")  # the local part ending where the "@" starts
_DOMAIN_AFTER = re.compile(rf"(?:{_LABEL}\.)+[A-Za-z]{{2,24}}(?![\w-])")
_AT = re.compile(r"[ \t]*[\[({<][ \t]*(?:at|AT|@)[ \t]*[\])}>][ \t]*|[ \t]+(?:at|AT|@)[ \t]+")
_DOT = r"(?:\s*[\[({<]\s*(?:dot|DOT|\.)\s*[\])}>]\s*|\s+(?:dot|DOT)\s+|\s+\.\s+)"
_SPELLED_DOMAIN_AFTER = re.compile(rf"(?:{_LABEL}(?:{_DOT}|\.))+(?:{_TLD}|{_TLD.upper()})(?![\w-])")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_IPV4_HINT = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d")
# Obfuscated addresses need one of these (in the lower-cased text) before the "at" regex runs:
# a bracketed or spaced "@"/"at", and for a bare " at " a spelled " dot ".
_OBFUSCATION_HINTS = ("at]", "at)", "at}", "at>", "@]", "@)", "@}", "@>", " @ ", " dot ", "(dot)", "[dot]", "{dot}")
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")
_VERSION_BEFORE = re.compile(r"(?:\bv|\bversion|\bver\.?|\bbuild|\brelease|\bfirmware)\s*$", re.IGNORECASE)
# What libphonenumber can take for a number: a date with a time after it, a dotted quad, an ISBN.
_NOT_PHONE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./](?:1[89]|20)\d\d|(?:1[89]|20)\d\d[-./]\d{1,2}[-./]\d{1,2}"
                        r"|\d{1,3}(?:\.\d{1,3}){3}$")
_ISBN_BEFORE = re.compile(r"\bISBN(?:-1[03])?:?\s*$", re.IGNORECASE)
MIN_PHONE_DIGITS = 7
# Where a phone number can be: digits with the separators people write, and the context the matcher
# looks at around it (a letter glued to the digits makes it reject the candidate).
_DIGIT_RUN = re.compile(r"\d[\d \t().\-/]{5,24}\d")  # a leading "+" or "(" is in the context
PHONE_CONTEXT_CHARS = 8
# Words that make "X at Y dot com" prose rather than an address ("look at this dot com bubble").
_PROSE_WORDS = frozenset("this that these those the a an my our your his her their its it me us you them here there "
                         "home work least all once first last".split())
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])")

KINDS = ("email", "ip", "phone")


def _global_ip(candidate: str) -> bool | None:
    """True for a global address, False for a private/reserved one, None when not an address."""
    try:
        return ipaddress.ip_address(candidate).is_global
    except ValueError:
        return None


class PiiRedactor(DocumentStep):
    """Replace e-mail addresses, public IPs and phone numbers by tokens (see the module doc)."""

    name = "pii"

    def __init__(self, email: bool = True, obfuscated_email: bool = True, ip: bool = True, phone: bool = True,
                 phone_regions: Sequence[str] = ("US", "GB", "DE", "FR"), email_token: str = "<EMAIL>",
                 ip_token: str = "<IP>", phone_token: str = "<PHONE>"):
        self.email = email
        self.obfuscated_email = obfuscated_email
        self.ip = ip
        self.phone = phone
        self.phone_regions = [r.upper() for r in phone_regions]
        self.tokens = {"email": email_token, "ip": ip_token, "phone": phone_token}
        self._matcher = None

    def setup(self) -> None:
        if self.phone and self._matcher is None:
            import phonenumbers

            self._phonenumbers = phonenumbers
            self._matcher = phonenumbers.PhoneNumberMatcher

    def find(self, text: str) -> tuple[list[tuple[int, int, str]], int]:
        """Non-overlapping ``(start, end, kind)`` spans to redact, in order; and private IPs seen."""
        spans: list[tuple[int, int, str]] = []
        private = 0
        if self.email and "@" in text:
            spans += _emails(text, (m.start() for m in re.finditer("@", text)), 1, _DOMAIN_AFTER)
        if self.obfuscated_email:
            spans += _obfuscated_emails(text)
        if self.ip:
            candidates = []
            if _IPV4_HINT.search(text):
                candidates += [m for m in _IPV4.finditer(text) if _ipv4_bounded(text, m.start(), m.end())]
            if _IPV6_HINT.search(text):
                candidates += _IPV6.finditer(text)
            for m in candidates:
                is_global = _global_ip(m.group())
                if is_global:
                    spans.append((m.start(), m.end(), "ip"))
                elif is_global is False:
                    private += 1
        if self.phone:
            spans += self._phones(text)
        return _non_overlapping(spans), private

    def _phones(self, text: str) -> list[tuple[int, int, str]]:
        """libphonenumber's matcher, run only on windows around runs of 7+ digits (it is slow on whole pages)."""
        if self._matcher is None:
            self.setup()
        leniency = self._phonenumbers.Leniency.VALID
        found = []
        for run in _DIGIT_RUN.finditer(text):
            if sum(ch.isdigit() for ch in run.group()) < MIN_PHONE_DIGITS:
                continue
            offset = max(0, run.start() - PHONE_CONTEXT_CHARS)
            window = text[offset:run.end() + PHONE_CONTEXT_CHARS]
            for region in self.phone_regions:
                for m in self._matcher(window, region, leniency=leniency):
                    start = offset + m.start
                    if _NOT_PHONE.match(m.raw_string) or _ISBN_BEFORE.search(text, max(0, start - 10), start):
                        continue
                    if sum(ch.isdigit() for ch in m.raw_string) >= MIN_PHONE_DIGITS:
                        found.append((start, offset + m.end, "phone"))
        return found

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        spans, private = self.find(text)
        counts = {f"redacted:{kind}": 0 for kind in KINDS}
        pieces, last = [], 0
        for start, end, kind in spans:
            pieces += [text[last:start], self.tokens[kind]]
            counts[f"redacted:{kind}"] += 1
            last = end
        pieces.append(text[last:])
        counts = {k: v for k, v in counts.items() if v}
        if private:
            counts["ip_kept_private"] = private
        return "".join(pieces), counts

    def process(self, doc: dict[str, Any]) -> StepResult:
        text, counts = self.redact(doc["text"])
        if text == doc["text"]:
            return StepResult.keep(doc, counts)
        return StepResult.keep({**doc, "text": text}, {**counts, "docs_redacted": 1})


def _emails(text: str, separators, width: int, domain: re.Pattern) -> list[tuple[int, int, str]]:
    """Addresses around each separator (an "@" index with ``width`` 1, or an "at" match): a local
    part must end right before it and a domain start right after it."""
    found = []
    for sep in separators:
        start, end = (sep, sep + width) if isinstance(sep, int) else sep.span()
        after = domain.match(text, end)
        before = after and _LOCAL_BEFORE.search(text, max(0, start - 64), start)
        if before:
            found.append((before.start(), after.end(), "email"))
    return found


def _obfuscated_emails(text: str) -> list[tuple[int, int, str]]:
    lower = text.lower()
    if not any(hint in lower for hint in _OBFUSCATION_HINTS):
        return []
    found = []
    for start, end, kind in _emails(text, _AT.finditer(text), 0, _SPELLED_DOMAIN_AFTER):
        words = re.findall(r"\w+", lower[start:end])
        if _PROSE_WORDS.intersection(words):
            continue
        if " at " in lower[start:end] and "dot" not in words:  # "available at amazon.com" is prose
            continue
        found.append((start, end, kind))
    return found


def _ipv4_bounded(text: str, start: int, end: int) -> bool:
    """A dotted quad standing alone: not inside a longer number or dotted run, not a version."""
    if start and (text[start - 1].isalnum() or text[start - 1] in "._"):
        return False
    if end < len(text) and (text[end].isalnum() or text[end] == "_"
                            or (text[end] == "." and text[end + 1:end + 2].isdigit())):
        return False
    return not _VERSION_BEFORE.search(text, max(0, start - 12), start)


def _non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Earliest start first, longest first at equal starts; later spans overlapping a kept one go."""
    kept: list[tuple[int, int, str]] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1], s[2])):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


class PiiConfig(StageConfig):
    """``filters.pii``: redact e-mail addresses, public IPs and phone numbers (filters/pii.py)."""

    enabled: bool = False
    email: bool = True
    obfuscated_email: bool = True  # "name at domain dot com", "name [at] domain [dot] org", ...
    ip: bool = True  # global IPv4/IPv6 only; private and reserved ranges stay
    phone: bool = True
    phone_regions: list[str] = Field(default_factory=lambda: ["US", "GB", "DE", "FR"])  # numbering plans
    email_token: str = "<EMAIL>"
    ip_token: str = "<IP>"
    phone_token: str = "<PHONE>"

    def step(self) -> PiiRedactor:
        return PiiRedactor(**self.model_dump(exclude={"enabled"}))
