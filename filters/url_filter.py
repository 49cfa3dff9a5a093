"""URL blocklists: domains and URLs from list files (UT1 layout or plain lists), banned words in URLs.

Rules, in this order (datatrove's ``URLFilter`` names where it has them):

- ``domain``: the host, or (``match_subdomains``) any parent of it at a label boundary, is listed:
  ``cdn.ads.example.com`` is blocked by ``example.com`` and by ``ads.example.com``, not by
  ``ample.com``;
- ``url``: the URL without scheme and ``www.``, or any prefix of it ending at a ``/``, is listed
  (UT1 ``urls`` files name pages and folders: ``example.com/adult/`` blocks everything below it);
- ``banned_word``: a word of ``banned_words`` is a whole token of the URL (tokens are the
  lower-cased runs of letters and digits; RefinedWeb's "hard" list);
- ``soft_banned_words``: at least ``soft_threshold`` distinct words of ``soft_banned_words`` are
  tokens of the URL (RefinedWeb's "soft" list, for words that are fine alone);
- ``banned_subword``: a word of ``banned_subwords`` occurs anywhere in the URL with its separators
  removed (``free-c-a-s-i-n-o`` too), found with one Aho-Corasick automaton.

Matching costs O(URL length) whatever the list sizes: one hash lookup per host label and per path
segment, one set lookup per token, one automaton pass. Domains and URLs are held as sorted 64-bit
xxh3 hashes in numpy (8 bytes an entry, plus 2 for the category: 10 M domains in ~100 MB), looked
up with one ``searchsorted`` per URL. Lists are read in ``setup()``, once per worker. No list is
shipped: point ``ut1`` at an extracted UT1 blacklist (``<dir>/<category>/domains``, ``urls``;
CC BY-SA, Université Toulouse 1 Capitole) or give your own files, one entry a line (``#``
comments and hosts-file lines ``0.0.0.0 example.com`` are understood).
"""
from __future__ import annotations

import io
import itertools
import os
import re
from typing import Any, Iterable, Sequence

import numpy as np
import xxhash
from pydantic import Field

from curation.config import StageConfig
from curation.io.paths import exists, is_dir, is_local, join, match, open_read
from filters.base import DocumentStep, StepResult

_TOKEN = re.compile(r"[a-z0-9]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOSTS_PREFIX = re.compile(r"^(?:0\.0\.0\.0|127\.0\.0\.1|::1?)\s+")


def split_url(url: str) -> tuple[str, str]:
    """(host, rest): the lower-cased host without port, credentials, trailing dot or ``www.``, and
    the path/query/fragment as written (``/`` when empty)."""
    body = _SCHEME.sub("", url.strip(), count=1)
    cut = min((i for i in (body.find("/"), body.find("?"), body.find("#")) if i >= 0), default=len(body))
    host, rest = body[:cut], body[cut:]
    host = host.rsplit("@", 1)[-1]
    if host.startswith("["):  # IPv6 literal
        host = host[:host.find("]") + 1]
    else:
        host = host.split(":", 1)[0]
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host, rest or "/"


def host_suffixes(host: str) -> list[str]:
    """``a.b.example.com`` -> itself, ``b.example.com``, ``example.com``, ``com``."""
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def url_prefixes(host: str, rest: str) -> list[str]:
    """The URL key (host + path, no scheme), and every prefix of it ending at a ``/`` of the path."""
    path = rest.split("#", 1)[0]
    full = host + path
    keys = [full, full.rstrip("/"), host + path.split("?", 1)[0]]
    index = len(host)
    while True:
        index = full.find("/", index)
        if index < 0 or index >= len(full) - 1:
            break
        keys += [full[:index], full[:index + 1]]
        index += 1
    return keys


def url_key(entry: str) -> str:
    host, rest = split_url(entry)
    return host + rest.split("#", 1)[0]


def _hash(key: str) -> int:
    return xxhash.xxh3_64_intdigest(key.encode("utf-8", "surrogatepass"))


class HashIndex:
    """A sorted array of 64-bit hashes with a category per entry: compact, O(log n) lookups in bulk."""

    def __init__(self, keys_by_category: dict[str, Iterable[str]]):
        self.categories = sorted(keys_by_category)
        hashes, cats = [], []
        for index, category in enumerate(self.categories):
            part = np.fromiter((_hash(k) for k in keys_by_category[category]), dtype=np.uint64)
            hashes.append(part)
            cats.append(np.full(len(part), index, dtype=np.uint16))
        hashes_all = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        cats_all = np.concatenate(cats) if cats else np.zeros(0, np.uint16)
        order = np.argsort(hashes_all, kind="stable")
        self.hashes, self.cats = hashes_all[order], cats_all[order]

    def __len__(self) -> int:
        return len(self.hashes)

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.cats.nbytes

    def first_hit(self, keys: Sequence[str]) -> str | None:
        """The category of the first key (in the given order) that is listed, or None."""
        if not len(self.hashes) or not keys:
            return None
        wanted = np.fromiter((_hash(k) for k in keys), dtype=np.uint64, count=len(keys))
        pos = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        hit = np.flatnonzero(self.hashes[pos] == wanted)
        return self.categories[self.cats[pos[hit[0]]]] if len(hit) else None


def read_list(path: str, kind: str) -> Iterable[str]:
    """Entries of a list file: one a line, ``#`` comments and blanks skipped; domains normalised."""
    with open_read(path) as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8", errors="replace"):
            line = _HOSTS_PREFIX.sub("", line.split("#", 1)[0].strip())
            if not line:
                continue
            if kind == "domains":
                yield split_url(line)[0]
            else:
                yield url_key(line)


def ut1_lists(root: str, categories: Sequence[str] | None, kind: str) -> dict[str, Iterable[str]]:
    """The ``<root>/<category>/<kind>`` files of a UT1 blacklist directory, per category (read lazily)."""
    if not is_dir(root):
        raise FileNotFoundError(f"url_filter: UT1 directory {root!r} does not exist")
    found = {}
    names = categories if categories is not None else _children(root)
    for name in names:
        path = join(root, name, kind)
        if os.path.isfile(path) if is_local(path) else exists(path):
            found[name] = read_list(path, kind)
        elif categories is not None and not is_dir(join(root, name)):
            raise FileNotFoundError(f"url_filter: UT1 category {name!r} not found under {root!r}")
    return found


def _children(root: str) -> list[str]:
    """Names directly inside a directory (on an object store: the first part of each key below it)."""
    if is_local(root):
        return sorted(os.listdir(root))
    prefix = root.rstrip("/") + "/"
    return sorted({path[len(prefix):].split("/", 1)[0] for path in match(prefix + "**")})


def read_words(words: Sequence[str], path: str | None) -> set[str]:
    out = {w.strip().lower() for w in words if w.strip()}
    if path:
        with open_read(path) as raw:
            out.update(w.strip().lower() for w in io.TextIOWrapper(raw, encoding="utf-8")
                       if w.strip() and not w.startswith("#"))
    return out


class UrlFilter(DocumentStep):
    """Drop documents whose URL is listed or carries banned words (see the module doc).

    Counts: ``dropped:<rule>``, ``blocked:<category>`` (the UT1 category, or the list file's name,
    of each domain/url hit), ``no_url`` (documents without a URL pass).
    """

    name = "url_filter"

    def __init__(self, ut1: str | None = None, ut1_categories: Sequence[str] | None = None,
                 domain_lists: Sequence[str] = (), url_lists: Sequence[str] = (), match_subdomains: bool = True,
                 banned_words: Sequence[str] = (), banned_words_file: str | None = None,
                 soft_banned_words: Sequence[str] = (), soft_banned_words_file: str | None = None,
                 soft_threshold: int = 2, banned_subwords: Sequence[str] = (), banned_subwords_file: str | None = None):
        self.ut1 = ut1
        self.ut1_categories = list(ut1_categories) if ut1_categories is not None else None
        self.domain_lists = list(domain_lists)
        self.url_lists = list(url_lists)
        self.match_subdomains = match_subdomains
        self.word_sources = {"banned": (list(banned_words), banned_words_file),
                             "soft": (list(soft_banned_words), soft_banned_words_file),
                             "sub": (list(banned_subwords), banned_subwords_file)}
        self.soft_threshold = soft_threshold
        self.domains: HashIndex | None = None

    def setup(self) -> None:
        if self.domains is not None:
            return
        # entries are hashed as they are read: a list of millions never sits in memory as strings
        domains = ut1_lists(self.ut1, self.ut1_categories, "domains") if self.ut1 else {}
        urls = ut1_lists(self.ut1, self.ut1_categories, "urls") if self.ut1 else {}
        for path in self.domain_lists:
            domains[os.path.basename(path)] = itertools.chain(domains.get(os.path.basename(path), ()),
                                                              read_list(path, "domains"))
        for path in self.url_lists:
            urls[os.path.basename(path)] = itertools.chain(urls.get(os.path.basename(path), ()), read_list(path, "urls"))
        self.urls = HashIndex(urls)
        self.banned = read_words(*self.word_sources["banned"])
        self.soft = read_words(*self.word_sources["soft"])
        self.subwords = None
        subwords = {"".join(_TOKEN.findall(w)) for w in read_words(*self.word_sources["sub"])} - {""}
        if subwords:
            import ahocorasick

            self.subwords = ahocorasick.Automaton()
            for word in sorted(subwords):
                self.subwords.add_word(word, word)
            self.subwords.make_automaton()
        self.domains = HashIndex(domains)

    def check(self, url: str) -> tuple[str | None, str | None]:
        """(rule, category) of the first rule the URL fails, or (None, None)."""
        host, rest = split_url(url)
        keys = host_suffixes(host)[:-1] if self.match_subdomains else [host]  # a bare TLD is never a listed domain
        category = self.domains.first_hit(keys or [host])
        if category is not None:
            return "domain", category
        category = self.urls.first_hit(url_prefixes(host, rest))
        if category is not None:
            return "url", category
        if self.banned or self.soft or self.subwords is not None:
            lowered = url.lower()
            tokens = set(_TOKEN.findall(lowered))
            if self.banned and not self.banned.isdisjoint(tokens):
                return "banned_word", None
            if self.soft and len(self.soft & tokens) >= self.soft_threshold:
                return "soft_banned_words", None
            if self.subwords is not None:
                squeezed = "".join(_TOKEN.findall(lowered))
                if next(self.subwords.iter(squeezed), None) is not None:
                    return "banned_subword", None
        return None, None

    def process(self, doc: dict[str, Any]) -> StepResult:
        if self.domains is None:
            self.setup()
        url = doc.get("url")
        if not url:
            return StepResult.keep(doc, {"no_url": 1})
        rule, category = self.check(url)
        if rule is None:
            return StepResult.keep(doc)
        return StepResult.drop(rule, {f"blocked:{category}": 1} if category else {})


class UrlFilterConfig(StageConfig):
    """``filters.url_filter``: domain/URL blocklists and banned URL words (filters/url_filter.py). No list ships."""

    enabled: bool = False
    ut1: str | None = None  # an extracted UT1 blacklist directory: <ut1>/<category>/domains, urls
    ut1_categories: list[str] | None = None  # e.g. [adult, phishing, malware]; null = every category found
    domain_lists: list[str] = Field(default_factory=list)  # plain files: one domain a line (hosts format too)
    url_lists: list[str] = Field(default_factory=list)  # plain files: one URL or URL prefix a line
    match_subdomains: bool = True  # a listed domain blocks its subdomains
    banned_words: list[str] = Field(default_factory=list)  # whole URL tokens that drop the page
    banned_words_file: str | None = None
    soft_banned_words: list[str] = Field(default_factory=list)  # drop when soft_threshold of them appear
    soft_banned_words_file: str | None = None
    soft_threshold: int = Field(2, ge=1)
    banned_subwords: list[str] = Field(default_factory=list)  # substrings of the URL without separators
    banned_subwords_file: str | None = None

    def step(self) -> UrlFilter:
        return UrlFilter(**self.model_dump(exclude={"enabled"}))
