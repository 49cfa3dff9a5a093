"""Build the sample that ships in ``sample/`` (and larger copies of it for benchmarks).

    python scripts/make_sample.py                       # rebuild sample/ (deterministic)
    python scripts/make_sample.py --out /tmp/big --copies 40   # ~40x the pages, new URLs

The WARC files hold realistic HTML pages wrapped as Common Crawl does (request,
response and metadata records): long-form prose inside site chrome, boilerplate-only
pages, keyword spam, code tutorials, non-English pages, near-duplicates, exact
duplicates, re-crawls of one URL, pages in legacy encodings and non-HTML bodies.
``reference/books.jsonl`` holds held-out chapters of the same book as "reference"
text for the quality classifier; ``wet/`` holds the WET (text) view of one file.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import shutil
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sample_text as T  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
BOOK = SHARED / "real-sample" / "gutenberg-3261-news-from-nowhere.htm"
SITES = ["morningreader", "slowpress", "thecommons", "riverside-journal", "fieldnotes"]
CRAWL = "CC-SAMPLE-2024-22"


class Page:
    def __init__(self, url: str, html: str, kind: str, date: str, charset: str = "utf-8",
                 content_type: str | None = None, body: bytes | None = None):
        self.url, self.html, self.kind, self.date = url, html, kind, date
        self.charset = charset
        self.content_type = content_type or f"text/html; charset={charset}"
        self.body = body if body is not None else html.encode(charset, errors="xmlcharrefreplace")


def chrome(title: str, article_html: str, rng: random.Random, lang: str = "en") -> str:
    """Wrap an article in typical site chrome: nav, cookie banner, sidebar, footer."""
    nav = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in rng.sample(T.BOILERPLATE_LINES[:8], 5))
    related = "".join(f'<li><a href="/p/{rng.randrange(10**5)}">Read more</a></li>' for _ in range(3))
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}</script>'
        '<style>body{font-family:serif} nav li{display:inline}</style></head><body>'
        f'<div class="cookie-banner">This website uses cookies to improve your experience. '
        f'<button>Accept all cookies</button></div>'
        f'<header><nav><ul>{nav}</ul></nav></header>'
        f'<main><article><h1>{title}</h1>{article_html}</article></main>'
        f'<aside><h3>Related posts</h3><ul>{related}</ul></aside>'
        '<footer><a href="/privacy">Privacy Policy</a> | <a href="/terms">Terms of Use</a> | '
        'Copyright 2024 All rights reserved</footer></body></html>'
    )


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def slug(text: str, n: int) -> str:
    words = [w.strip(".,;:!?\"'").lower() for w in text.split()[:5]]
    return "-".join(w for w in words if w.isascii() and w.isalnum())[:40] + f"-{n}"


def prose_pages(chapters, rng, date) -> list[Page]:
    pages = []
    for c, chapter in enumerate(chapters):
        i = 0
        while i < len(chapter):
            size = rng.randint(3, 6)
            paras = chapter[i:i + size]
            i += size
            if len(paras) < 2:
                continue
            site = rng.choice(SITES)
            title = " ".join(paras[0].split()[:6]).strip(",;:")
            url = f"https://www.{site}.example/{c:02d}/{slug(paras[0], len(pages))}.html"
            pages.append(Page(url, chrome(title, paragraphs_html(paras), rng), "prose", date))
    return pages


def remix(chapters: list[list[str]], rng: random.Random) -> list[list[str]]:
    """New text with the book's shape: every paragraph rebuilt from sentences drawn at random
    from the whole book. Benchmark copies use it, so that scaled-up corpora are not just the
    sample repeated (which span dedup and MinHash would reduce back to one copy)."""
    import re

    pool = [s for chapter in chapters for p in chapter for s in re.split(r"(?<=[.!?])\s+", p) if s]
    out = []
    for chapter in chapters:
        out.append([" ".join(rng.choice(pool) for _ in range(max(2, len(re.split(r"(?<=[.!?])\s+", p)))))
                    for p in chapter])
    return out


def near_duplicate(page: Page, rng: random.Random, n: int) -> Page:
    """Same article on a mirror: a few words changed, a line of boilerplate added."""
    html = page.html
    for old, new in (("the ", "the "), (" and ", " & "), (" said ", " says ")):
        if rng.random() < 0.7:
            html = html.replace(old, new, 2)
    html = html.replace("</article>", "<p>Originally published on our sister site. Shared with permission.</p>"
                                      "</article>")
    url = page.url.replace("https://www.", f"https://mirror{n % 3}.")
    return Page(url, html, "near_duplicate", page.date)


def spam_page(rng, n, date, badwords) -> Page:
    words = []
    for _ in range(rng.randint(60, 140)):
        words.append(rng.choice(T.SPAM_PHRASES))
        if badwords and rng.random() < 0.05:
            words.append(rng.choice(badwords))
    lines = [" ".join(words[i:i + 8]) for i in range(0, len(words), 8)]
    body = "".join(f"<p>{line.upper() if rng.random() < 0.3 else line}</p>" for line in lines)
    return Page(f"http://deals{n % 7}.example/offer-{n}.php", chrome("BEST DEALS", body, rng), "spam", date)


def boilerplate_page(rng, n, date) -> Page:
    kind = n % 3
    if kind == 0:
        body = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor.</p>" * 3
    elif kind == 1:
        body = "<form><p>Username</p><input><p>Password</p><input><p>Forgot your password?</p></form>"
    else:
        body = "".join(f"<p>{rng.choice(T.BOILERPLATE_LINES)}</p>" for _ in range(12))
    return Page(f"https://portal{n % 4}.example/page/{n}", chrome("Welcome", body, rng), "boilerplate", date)


def code_page(rng, n, date) -> Page:
    lang, code = T.CODE_SNIPPETS[n % len(T.CODE_SNIPPETS)]
    prose = rng.sample(T.CODE_PROSE, 3)
    body = f"<p>{prose[0]}</p><pre><code>{code}</code></pre><p>{prose[1]}</p><p>{prose[2]}</p>"
    return Page(f"https://devnotes.example/{lang.lower()}/tip-{n}", chrome(f"{lang} tip #{n}", body, rng),
                "code", date)


def foreign_page(rng, n, date) -> Page:
    lang = sorted(T.NON_ENGLISH)[n % len(T.NON_ENGLISH)]
    sentences = T.NON_ENGLISH[lang]
    paras = [" ".join(rng.sample(sentences, 3)) for _ in range(rng.randint(2, 4))]
    charset = "iso-8859-1" if lang in ("de", "fr") and n % 2 == 0 else "utf-8"
    html = chrome(sentences[0][:30], paragraphs_html(paras), rng, lang).replace(
        '<meta charset="utf-8">', f'<meta charset="{charset}">')
    content_type = "text/html" if charset != "utf-8" else None  # charset only in <meta>: detection path
    return Page(f"https://nachrichten{n}.example/{lang}/artikel-{n}.html", html, f"foreign_{lang}", date,
                charset=charset, content_type=content_type)


def binary_page(rng, n, date) -> Page:
    body = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(600))
    return Page(f"https://img.example/{n}.png", "", "image", date, content_type="image/png", body=body)


def record_id(url: str, date: str, kind: str) -> str:
    digest = hashlib.sha1(f"{url}|{date}|{kind}".encode()).hexdigest()
    return f"<urn:uuid:{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}>"


def write_warc(path: Path, pages: list[Page]) -> None:
    """Write request/response/metadata triples as Common Crawl does, deterministically."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    info = writer.create_warcinfo_record(path.name, {"software": "cc-curation sample builder",
                                                     "description": "synthetic sample, see sample/README.md"})
    info.rec_headers.replace_header("WARC-Record-ID", record_id(path.name, "", "warcinfo"))
    info.rec_headers.replace_header("WARC-Date", "2024-05-18T00:00:00Z")
    writer.write_record(info)
    for page in pages:
        def headers(kind: str, page: Page = page) -> dict[str, str]:
            return {"WARC-Date": page.date, "WARC-Record-ID": record_id(page.url, page.date, kind)}

        req_headers = StatusAndHeaders(f"GET /{page.url.split('/', 3)[-1]} HTTP/1.1",
                                       [("Host", page.url.split("/")[2]), ("User-Agent", "CCBot/2.0")],
                                       is_http_request=True)
        request = writer.create_warc_record(page.url, "request", http_headers=req_headers,
                                            warc_headers_dict=headers("request"))
        http = StatusAndHeaders("200 OK", [("Content-Type", page.content_type),
                                           ("Content-Length", str(len(page.body)))], protocol="HTTP/1.1")
        response = writer.create_warc_record(page.url, "response", payload=io.BytesIO(page.body), http_headers=http,
                                             warc_headers_dict=headers("response"))
        meta = writer.create_warc_record(page.url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                                         warc_content_type="application/warc-fields",
                                         warc_headers_dict=headers("metadata"))
        for record in (request, response, meta):
            writer.write_record(record)
    path.write_bytes(buf.getvalue())


def write_wet(path: Path, pages: list[Page]) -> None:
    """The WET view: one conversion record per HTML page, text as a naive tag strip."""
    import re

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for page in pages:
        if not page.html:
            continue
        text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page.html, flags=re.S)
        text = re.sub(r"<(p|li|h1|h3|div|footer|header)[^>]*>", "\n", text)
        text = "\n".join(t.strip() for t in re.sub(r"<[^>]+>", " ", text).split("\n") if t.strip())
        record = writer.create_warc_record(page.url, "conversion", payload=io.BytesIO(text.encode("utf-8")),
                                           warc_content_type="text/plain",
                                           warc_headers_dict={"WARC-Date": page.date,
                                                              "WARC-Record-ID": record_id(page.url, page.date, "conversion")})
        writer.write_record(record)
    path.write_bytes(buf.getvalue())


def book_chapters() -> tuple[list[list[str]], list[list[str]]]:
    """The book's chapters as (web, reference): from ../shared when it is there (the sample is built
    from it), else from the reference chapters the sample ships (benchmark copies on a fresh clone:
    their text is remixed anyway)."""
    if BOOK.exists():
        chapters = T.gutenberg_chapters(str(BOOK))
        return chapters[:22], chapters[22:]
    by_chapter: dict[str, list[str]] = {}
    with open(REPO / "sample" / "reference" / "books.jsonl", encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            by_chapter.setdefault(row["url"].split("#ch")[1].split("-")[0], []).extend(row["text"].split("\n"))
    chapters = list(by_chapter.values())
    half = max(1, len(chapters) * 2 // 3)
    return chapters[:half], chapters[half:]


def build_pages(seed: int = 20240522, copy: int = 0) -> tuple[list[Page], list[dict]]:
    rng = random.Random(seed + copy)
    web_chapters, reference_chapters = book_chapters()
    if copy:
        web_chapters, reference_chapters = remix(web_chapters, rng), remix(reference_chapters, rng)
    date = f"2024-05-{18 + copy % 10:02d}T0{copy % 10}:00:00Z"
    badwords = []
    words_file = SHARED / "ldnoobw" / "en"
    if not words_file.exists():  # a fresh clone: the copy the package ships
        words_file = REPO / "filters" / "data" / "badwords" / "en"
    if words_file.exists():
        badwords = sorted(w for w in words_file.read_text().split("\n") if w and " " not in w)[:40]
    pages = prose_pages(web_chapters, rng, date)
    originals = list(pages)
    for n, page in enumerate(rng.sample(originals, 24)):
        pages.append(near_duplicate(page, rng, n))
    for page in rng.sample(originals, 6):  # exact copies under another URL
        pages.append(Page(page.url.replace(".html", "-amp.html"), page.html, "exact_duplicate", date))
    for page in rng.sample(originals, 5):  # the same URL crawled again, later
        later = date.replace("T0", "T1")
        pages.append(Page(page.url, page.html.replace("</article>", "<p>Updated with a correction.</p></article>"),
                          "recrawl", later))
    pages += [spam_page(rng, n, date, badwords) for n in range(30)]
    pages += [boilerplate_page(rng, n, date) for n in range(24)]
    pages += [code_page(rng, n, date) for n in range(12)]
    pages += [foreign_page(rng, n, date) for n in range(28)]
    pages += [binary_page(rng, n, date) for n in range(6)]
    if copy:
        for page in pages:  # a distinct copy: new hosts, so ids and URLs differ
            page.url = page.url.replace("://", f"://c{copy}-", 1)
    rng.shuffle(pages)
    reference = []
    for c, chapter in enumerate(reference_chapters):
        for i in range(0, len(chapter), 4):
            text = "\n".join(chapter[i:i + 4])
            reference.append({"id": hashlib.sha256(f"book-{copy}-{c}-{i}".encode()).hexdigest()[:32],
                              "text": text, "source": "books",
                              "url": f"https://www.gutenberg.org/ebooks/3261#ch{c + 23}-{i}"})
    return pages, reference


def build(out: Path, copies: int = 1, files_per_copy: int = 4, with_extras: bool = True) -> None:
    (out / "warc").mkdir(parents=True, exist_ok=True)
    (out / "reference").mkdir(parents=True, exist_ok=True)
    reference_rows = []
    for copy in range(copies):
        pages, reference = build_pages(copy=copy)
        reference_rows += reference
        for f in range(files_per_copy):
            name = f"{CRAWL}-{copy * files_per_copy + f:05d}.warc.gz"
            write_warc(out / "warc" / name, pages[f::files_per_copy])
        if with_extras and copy == 0:
            (out / "wet").mkdir(exist_ok=True)
            write_wet(out / "wet" / f"{CRAWL}-00000.warc.wet.gz", pages[0::files_per_copy])
    with open(out / "reference" / "books.jsonl", "w", encoding="utf-8") as fh:
        for row in reference_rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    if with_extras:
        real = out / "real"
        real.mkdir(exist_ok=True)
        for name in ("whirlwind-CC-MAIN-2024-22.warc.gz", "whirlwind-CC-MAIN-2024-22.warc.wet.gz",
                     "jwarc-cc.warc.gz", "warcio-example.warc.gz"):
            shutil.copyfile(SHARED / "real-sample" / name, real / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO / "sample"))
    parser.add_argument("--copies", type=int, default=1, help="distinct copies of the page set (benchmarks)")
    parser.add_argument("--files-per-copy", type=int, default=4)
    args = parser.parse_args()
    build(Path(args.out), args.copies, args.files_per_copy, with_extras=args.copies == 1)
    total = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    print(f"wrote {args.out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
