"""URL blocklists (UT1 layout and plain lists) and banned URL words, unit and through ``curation docs``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.io.docfiles import iter_documents
from filters.url_filter import HashIndex, UrlFilter, host_suffixes, split_url, url_prefixes
from pipelines.cli import main


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


@pytest.fixture()
def ut1(tmp_path) -> str:
    """A UT1-style directory of our own: <root>/<category>/domains and urls."""
    root = tmp_path / "blacklists"
    write(root / "adult" / "domains", "hotpics-gallery.example\nadult-cams.example\n")
    write(root / "adult" / "urls", "freehost.example/~eve/gallery/\nblogs.example/nsfw-corner\n")
    write(root / "gambling" / "domains", "# casinos\nspin-palace.example\nwww.bet-365-bonus.example\n")
    write(root / "phishing" / "urls", "login-verify.example/paypal/signin.php\n")
    write(root / "README", "not a category")
    return str(root)


def test_split_url_normalises_host():
    assert split_url("HTTPS://user:pw@WWW.Example.COM.:8443/a/b?q=1#top") == ("example.com", "/a/b?q=1#top")
    assert split_url("example.com") == ("example.com", "/")
    assert split_url("http://[2001:db8::1]:80/x") == ("[2001:db8::1]", "/x")
    assert host_suffixes("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com", "com"]
    keys = url_prefixes("freehost.example", "/~eve/gallery/img1.jpg?s=2")
    assert "freehost.example/~eve/gallery/" in keys and "freehost.example/~eve/gallery/img1.jpg" in keys


def test_domains_subdomains_and_urls(ut1, tmp_path):
    plain = write(tmp_path / "my-hosts.txt", "0.0.0.0 tracker.adnet.example  # hosts-file line\nmalware.example\n")
    step = UrlFilter(ut1=ut1, domain_lists=[plain])
    step.setup()
    assert step.check("https://hotpics-gallery.example/page/2") == ("domain", "adult")
    assert step.check("http://cdn.eu.spin-palace.example/") == ("domain", "gambling")
    assert step.check("https://bet-365-bonus.example/") == ("domain", "gambling")  # listed with www.
    assert step.check("https://ads.tracker.adnet.example/p.gif") == ("domain", "my-hosts.txt")
    assert step.check("https://adnet.example/") == (None, None)  # the parent of a listed domain is not listed
    assert step.check("https://palace.example/") == (None, None)
    assert step.check("https://notmalware.example/") == (None, None)  # label boundary, not substring
    assert step.check("https://freehost.example/~eve/gallery/2.html") == ("url", "adult")
    assert step.check("https://freehost.example/~eve/") == (None, None)
    assert step.check("http://blogs.example/nsfw-corner?page=3") == ("url", "adult")
    assert step.check("https://login-verify.example/paypal/signin.php") == ("url", "phishing")
    only = UrlFilter(ut1=ut1, ut1_categories=["phishing"], match_subdomains=False)
    only.setup()
    assert only.check("https://hotpics-gallery.example/") == (None, None)
    assert only.check("https://login-verify.example/paypal/signin.php") == ("url", "phishing")
    with pytest.raises(FileNotFoundError, match="violence"):
        UrlFilter(ut1=ut1, ut1_categories=["violence"]).setup()


def test_banned_words_whole_token_soft_count_and_subwords(tmp_path):
    soft = write(tmp_path / "soft.txt", "hot\nsingles\nlive\n")
    step = UrlFilter(banned_words=["xxx"], soft_banned_words_file=soft, soft_threshold=2, banned_subwords=["casino"])
    step.setup()
    assert step.check("https://example.org/videos/xxx-clips") == ("banned_word", None)
    assert step.check("https://example.org/xxxtentacion-tribute") == (None, None)  # not a whole token
    assert step.check("https://example.org/hot-soup-recipes") == (None, None)  # one soft word
    assert step.check("https://example.org/hot/singles/near-you") == ("soft_banned_words", None)
    assert step.check("https://free-c-a-s-i-n-o.example/") == ("banned_subword", None)
    assert step.check("https://www.onlinecasinobonus.example/") == ("banned_subword", None)
    assert step.check("https://example.org/cassino-italy") == (None, None)


def test_hash_index_is_compact_and_exact():
    keys = [f"site{i}.example" for i in range(50_000)]
    index = HashIndex({"a": keys[:25_000], "b": keys[25_000:]})
    assert len(index) == 50_000 and index.nbytes == 50_000 * 10
    assert index.first_hit(["nothing.example", "site49999.example", "site1.example"]) == "b"
    assert index.first_hit(["site50000.example"]) is None


def test_url_filter_through_curation_docs(tmp_path, ut1):
    pages = [
        ("keep-1", "https://www.riverside-journal.example/13/the-old-mill.html"),
        ("keep-2", "https://blog.gardening.example/2024/05/hot-weather-tomatoes"),
        ("adult", "https://m.hotpics-gallery.example/set/991"),
        ("casino", "https://spin-palace.example/welcome-bonus"),
        ("phish", "http://login-verify.example/paypal/signin.php?session=8f3a"),
        ("words", "https://free-videos.example/xxx/clip-4"),
        ("soft", "https://dating.example/hot-singles-tonight"),
        ("no-url", ""),
    ]
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps({"id": i, "url": u, "text": f"A page about {i}."}) + "\n" for i, u in pages))
    config = write(tmp_path / "urls.yaml", f"""
filters:
  enabled: true
  url_dedup: {{enabled: false}}
  c4_lines: {{enabled: false}}
  c4_pages: {{enabled: false}}
  c4_dedup: {{enabled: false}}
  langid: {{enabled: false}}
  badwords: {{enabled: false}}
  url_filter:
    enabled: true
    ut1: {ut1}
    banned_words: [xxx]
    soft_banned_words: [hot, singles, sexy]
""")
    out = tmp_path / "out"
    assert main(["docs", "--input", str(source), "--output", str(out), "--config", config]) == 0
    stats = json.loads((out / "stats.json").read_text())["counters"]["url_filter"]
    assert stats["in"] == 8 and stats["out"] == 3 and stats["no_url"] == 1
    assert stats["dropped:domain"] == 2 and stats["dropped:url"] == 1
    assert stats["dropped:banned_word"] == 1 and stats["dropped:soft_banned_words"] == 1
    assert (stats["blocked:adult"], stats["blocked:gambling"], stats["blocked:phishing"]) == (1, 1, 1)
    kept = sorted(d["id"] for p in out.rglob("part-*") for d in iter_documents(str(p)))
    assert kept == ["keep-1", "keep-2", "no-url"]
