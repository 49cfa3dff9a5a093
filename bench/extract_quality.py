"""Extraction speed vs quality: resiliparse and trafilatura settings, on labelled pages.

    python bench/extract_quality.py [--repeats 5] [--synthetic 60]

Pages: the real HTML responses of ``sample/real/`` (commoncrawl.org, example.com, an Aragonese
Wikipedia article: labelled by hand below), the real Gutenberg HTML book (``../shared``; speed
and characters only), and ``--synthetic`` prose pages of the shipped sample (``sample/warc``:
book paragraphs inside site chrome, labelled by construction: the ``<p>`` paragraphs are
content, ``scripts/sample_text.BOILERPLATE_LINES`` and the sidebar are boilerplate).

For each setting: wall time per page set (median of ``--repeats``, settings interleaved), the
share of the labelled content characters kept, and how many labelled boilerplate lines came
through. A line counts as kept when it is a line of the output (whitespace-normalised).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench import harness  # noqa: E402

SHARED_BOOK = REPO.parent.parent / "shared" / "data" / "real-sample" / "gutenberg-3261-news-from-nowhere.htm"

# Hand labels: url -> (content lines, boilerplate lines). Lines neither listed (infobox cells,
# headings like "Us", the mayors table) are not scored either way.
LABELS = {
    "http://commoncrawl.org/": (
        ["We build and maintain an open repository of web crawl data that can be accessed and analyzed by anyone.",
         "Need years of free web page data to help change the world.",
         "Access to data is a good thing, right?",
         "Please donate today, so we can continue to provide you and others like you with this priceless resource.",
         "Don't forget, Common Crawl is a registered 501(c)(3) non-profit so your donation is tax deductible!"],
        ["Skip to content", "Big Picture", "What We Do", "What You Can Do", "FAQs", "The Data", "Get Started",
         "Example Projects", "Tutorials", "Our Team", "Job Opportunities", "Newsletter", "Contact Us",
         "Terms of Use", "DONATE NOW", "Common Crawl on Twitter"]),
    "http://example.com/": (
        ["This domain is established to be used for illustrative examples in documents. You may use this domain "
         "in examples without prior coordination or asking for permission."], []),
    "https://an.wikipedia.org/wiki/Escopete": (
        ["Escopete ye un municipio d'a provincia de Guadalachara, en a comunidat autonoma de Castiella-La Mancha, "
         "Espanya, comarca de La Alcarria y partiu chudicial de Guadalachara.",
         "A suya población ye de 84 habitants (2007), en una superficie de 19,01 km² y una densidat de población "
         "de 4,42 hab/km².",
         "Ye situato a 860 metros d'altaria sobre o ran d'a mar, a una distancia de 47 km de Guadalachara, a "
         "capital d'a suya provincia, y d'o suyo termin municipal fa parti o lugar de Monteumbría.",
         "Escopete ye citato en as Relaciones Topográficas de los pueblos de Espanya, feitas por Felipe II de "
         "Castiella en 1578."],
        ["Ir al contenido", "Menú principal", "Portalada", "Zaguers cambeos", "Una pachina a l'azar", "Donativos",
         "Creyar cuenta", "Dentrar-ie", "Modificar os enlaces", "Amostrar l'historial", "Pachinas especials",
         "Vinclo permanent", "Descargar como PDF", "Versión ta imprentar", "De Biquipedia",
         "Politica de privacidat", "Sobre Biquipedia", "Declaración de cookies", "Versión ta mobils",
         "Zaguera edición d'ista pachina o 17 ago 2023 a las 21:26.", "Categoría:"]),
}

SETTINGS = {
    "resiliparse": dict(extractor="resiliparse"),
    "trafilatura (fast=False)": dict(extractor="trafilatura", fast=False),
    "trafilatura fast": dict(extractor="trafilatura", fast=True),
    "trafilatura favor_precision": dict(extractor="trafilatura", fast=False, favor_precision=True),
    "trafilatura fast+precision": dict(extractor="trafilatura", fast=True, favor_precision=True),
    # the same through the per-page time limit (a child process, filters/extract_guard.py)
    "resiliparse, time-limited": dict(extractor="resiliparse", guard=True),
    "traf. fast+precision, time-limited": dict(extractor="trafilatura", fast=True, favor_precision=True, guard=True),
}


def _lines(text: str) -> set[str]:
    return {" ".join(line.split()) for line in text.split("\n") if line.strip()}


def _norm(line: str) -> str:
    return " ".join(line.split())


def load_pages(synthetic: int) -> list[tuple[str, str, list[str], list[str]]]:
    """(url, html, content lines, boilerplate lines); unlabelled pages have empty lists."""
    from sample_text import BOILERPLATE_LINES

    from curation.io.warc import RawRecord, iter_records
    from filters.charset import charset_from_content_type, decode_html

    pages = []
    for path in sorted((REPO / "sample" / "real").glob("*.warc.gz")):
        for record in iter_records(str(path)):
            if isinstance(record, RawRecord) and record.record_type == "response":
                html, _ = decode_html(record.payload, charset_from_content_type(record.content_type))
                content, boiler = LABELS.get(record.url, ([], []))
                pages.append((record.url, html, content, boiler))
    if SHARED_BOOK.exists():
        pages.append((SHARED_BOOK.name, SHARED_BOOK.read_text(encoding="utf-8", errors="replace"), [], []))

    taken = 0
    for record in iter_records(str(REPO / "sample" / "warc" / "CC-SAMPLE-2024-22-00000.warc.gz")):
        if taken >= synthetic:
            break
        if not (isinstance(record, RawRecord) and record.record_type == "response"):
            continue
        html, _ = decode_html(record.payload, charset_from_content_type(record.content_type))
        if '<div class="cookie-banner">' not in html or "<article>" not in html:
            continue
        content = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", html, flags=re.S)]
        boiler = [b for b in BOILERPLATE_LINES if b in html] + ["Related posts", "Read more"]
        pages.append((record.url, html, content, boiler))
        taken += 1
    return pages


def run_setting(pages, setting: dict) -> tuple[list[str], float]:
    from filters.extract import extract_text
    from filters.extract_guard import TimeLimitedExtractor

    setting = dict(setting)
    if setting.pop("guard", False):
        guard = TimeLimitedExtractor(60.0, setting)
        guard("<p>start the child</p>")  # its start is not a page's time
        started = time.perf_counter()
        out = [guard(html) for _, html, _, _ in pages]
        seconds = time.perf_counter() - started
        guard.close()
        return out, seconds
    started = time.perf_counter()
    out = [extract_text(html, **setting) for _, html, _, _ in pages]
    return out, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=60, help="synthetic sample pages (labelled)")
    args = harness.parse_args(parser, argv, quick={"repeats": 3}, smoke={"repeats": 1, "synthetic": 5})
    pages = load_pages(args.synthetic)
    real = [p for p in pages if p[0] in LABELS]
    print(f"{len(pages)} pages: {len(real)} real labelled, "
          f"{sum(1 for p in pages if p[0] not in LABELS and p[2])} synthetic labelled, "
          f"{sum(1 for p in pages if not p[2])} unlabelled (speed/characters only); repeats {args.repeats}")
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    outputs: dict[str, list[str]] = {}
    for _ in range(args.repeats):  # interleaved
        for name, setting in SETTINGS.items():
            outputs[name], seconds = run_setting(pages, setting)
            times[name].append(seconds)
    header = (f"{'setting':<32} {'s (median)':>10} {'vs resil.':>9} {'chars out':>10} "
              f"{'real content kept':>18} {'real boiler kept':>17} {'synth content kept':>19} {'synth boiler kept':>18}")
    print(header)
    print("-" * len(header))
    base = statistics.median(times["resiliparse"])
    for name in SETTINGS:
        scores = {"real": [0, 0, 0, 0], "synth": [0, 0, 0, 0]}  # content kept, content total, boiler kept, boiler total
        for (url, _, content, boiler), text in zip(pages, outputs[name]):
            got = _lines(text)
            s = scores["real" if url in LABELS else "synth"]
            s[0] += sum(len(c) for c in content if _norm(c) in got)
            s[1] += sum(len(c) for c in content)
            s[2] += sum(1 for b in boiler if _norm(b) in got)
            s[3] += len(boiler)
        med = statistics.median(times[name])
        cells = [f"{s[0] / max(s[1], 1):>6.1%} of {s[1]:>6,}" for s in (scores["real"],)]
        print(f"{name:<32} {med:>10.2f} {med / base:>8.1f}x {sum(len(t) for t in outputs[name]):>10,} "
              f"{cells[0]:>18} {scores['real'][2]:>7} of {scores['real'][3]:<5} "
              f"{scores['synth'][0] / max(scores['synth'][1], 1):>19.1%} "
              f"{scores['synth'][2]:>8} of {scores['synth'][3]:<5}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
