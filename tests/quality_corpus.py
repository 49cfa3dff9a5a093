"""Small, realistic corpora for the quality classifier's tests and benchmark.

Positive ("reference") text: real prose, William Morris, *News from Nowhere*
(Project Gutenberg ebook 3261, public domain in the US): the shipped
``sample/reference/books.jsonl`` (always present), or the whole HTML book when it
is available, cut into passages of a few sentences.

Negative ("raw web") text: generated here, seeded: navigation menus and footers,
cookie and legal boilerplate, keyword stuffing, ad copy, product listings, comment
spam and "spun" word salad made by shuffling the words of the prose (which only a
model with word n-grams can tell from the real thing). Written for this project.
"""
from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOOKS_JSONL = REPO / "sample" / "reference" / "books.jsonl"
GUTENBERG_HTML = REPO.parent / "shared" / "data" / "real-sample" / "gutenberg-3261-news-from-nowhere.htm"

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z“‘\"'])")


def _paragraphs_from_html(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    start = raw.find("CHAPTER I")
    end = raw.find("End of the Project Gutenberg")
    body = raw[start:end if end > 0 else None]
    out = []
    for match in re.finditer(r"<p[^>]*>(.*?)</p>", body, flags=re.S | re.I):
        text = html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))
        text = re.sub(r"\s+", " ", text).strip()
        if len(text.split()) >= 8:
            out.append(text)
    return out


def prose_paragraphs(whole_book: bool = False) -> list[str]:
    """Paragraph-sized texts of real prose (the shipped sample, or the whole book if asked and present)."""
    if whole_book and GUTENBERG_HTML.exists():
        return _paragraphs_from_html(GUTENBERG_HTML)
    docs = [json.loads(line)["text"] for line in BOOKS_JSONL.read_text(encoding="utf-8").splitlines() if line.strip()]
    return docs


def prose_passages(min_sentences: int = 2, max_sentences: int = 5, seed: int = 0,
                   whole_book: bool = False) -> list[str]:
    """Real prose cut into passages of ``min..max`` sentences (passage length drawn with ``seed``)."""
    rng = random.Random(seed)
    passages = []
    for paragraph in prose_paragraphs(whole_book):
        sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
        i = 0
        while i < len(sentences):
            n = rng.randint(min_sentences, max_sentences)
            chunk = " ".join(sentences[i:i + n])
            if len(chunk.split()) >= 12:
                passages.append(chunk)
            i += n
    return passages


PRODUCTS = ["running shoes", "wireless earbuds", "gaming laptop", "air fryer", "yoga mat", "smart watch",
            "phone case", "office chair", "led strip lights", "protein powder", "hair dryer", "coffee maker",
            "bluetooth speaker", "car charger", "winter jacket", "backpack", "sunglasses", "water bottle",
            "vacuum cleaner", "electric toothbrush", "standing desk", "dash cam", "robot mop", "hoverboard"]
BRANDS = ["Zentro", "Kalix", "NovaPro", "Brightly", "UltraMax", "Vexa", "Omnia", "TopGear", "Pureline",
          "Stellar", "Quickfit", "Evergo", "Maxwell & Co", "Lumina", "Aerofly"]
ADJECTIVES = ["cheap", "best", "top rated", "premium", "discount", "affordable", "luxury", "official",
              "genuine", "new", "hot", "trending", "exclusive", "certified", "original", "lightweight"]
CITIES = ["London", "Dallas", "Toronto", "Sydney", "Berlin", "Chicago", "Miami", "Dubai", "Mumbai",
          "Manchester", "Phoenix", "Denver", "Austin", "Seattle", "Houston", "Atlanta"]
SERVICES = ["plumber", "roof repair", "seo agency", "dentist", "car insurance", "personal injury lawyer",
            "web design", "locksmith", "moving company", "payday loans", "forex signals", "casino bonus",
            "weight loss pills", "crypto trading bot", "essay writing service", "cheap flights"]
NAV_ITEMS = ["Home", "About Us", "Contact", "Blog", "Shop", "Login", "Register", "Search", "Cart", "FAQ",
             "Careers", "Press", "Support", "Store Locator", "Gift Cards", "Sale", "New Arrivals", "Brands",
             "Sitemap", "Help Center", "Track Order", "Returns", "Wishlist", "My Account", "Deals"]
FOOTER = ["Copyright {year} {brand} Inc. All rights reserved.", "Privacy Policy | Terms of Use | Cookie Settings",
          "Follow us on Facebook, Twitter and Instagram", "Subscribe to our newsletter for {pct}% off",
          "Powered by WordPress", "Back to top", "Share this page", "Call us at {phone}",
          "Free shipping on orders over ${price}", "Secure checkout with PayPal and Visa"]
BOILERPLATE = [
    "This website uses cookies to improve your experience. By continuing to browse you accept our use of cookies.",
    "We and our partners store and access information on your device for personalised ads and content.",
    "Please enable JavaScript in your browser to view this page correctly.",
    "Your browser is out of date. Update your browser for more security, speed and the best experience.",
    "The requested page could not be found. It may have been moved or deleted.",
    "Sign up to receive exclusive offers, early access to sales and the latest news.",
    "By clicking Accept you agree to the storing of cookies on your device.",
    "All prices include VAT. Delivery times may vary during peak periods.",
    "Leave a comment. Your email address will not be published. Required fields are marked.",
    "Read more. Previous post. Next post. Related articles. Tags.",
]
AD_TEMPLATES = [
    "{adj} {product} {city} - click here for the best price!!! limited offer, only {n} left in stock",
    "BUY {product} NOW and save {pct}% - free shipping - order today - {brand} official store",
    "Looking for {service} in {city}? Call {phone} now! 24/7 service, {pct}% off your first visit!",
    "WIN BIG with our {service} - sign up today and get a ${price} bonus, no deposit needed, act now",
    "{brand} {product} review: is it worth it? find out why {n},000 customers love it. Rated {r}/5",
    "Hot deal: {adj} {product} for just ${price}.99 (was ${price2}.99). Coupon code SAVE{pct} at checkout",
    "make ${price} a day from home with {service} - no experience needed - click the link in bio",
]
COMMENTS = [
    "great post!!! visit my site {url} for more {adj} {product}",
    "thanks for sharing, really helpful. check out {url}",
    "nice article bro, i also wrote about {service} at {url}",
    "first!!!", "+1", "who is here in {year}?", "lol this is so true",
    "I made ${price} last week with {service}, message me for details",
]
TLDS = ["com", "net", "info", "biz", "xyz", "online", "shop"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        adj=rng.choice(ADJECTIVES), product=rng.choice(PRODUCTS), brand=rng.choice(BRANDS),
        city=rng.choice(CITIES), service=rng.choice(SERVICES), n=rng.randint(2, 99),
        pct=rng.choice([5, 10, 15, 20, 25, 30, 40, 50, 70]), price=rng.randint(9, 499),
        price2=rng.randint(500, 999), r=rng.choice(["4.5", "4.7", "4.9", "5.0"]),
        year=rng.randint(2012, 2025),
        phone=f"{rng.randint(200, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        url=f"www.{rng.choice(PRODUCTS).replace(' ', '-')}-{rng.choice(CITIES).lower()}.{rng.choice(TLDS)}",
    )


def nav_page(rng: random.Random) -> str:
    items = rng.sample(NAV_ITEMS, rng.randint(6, 14))
    parts = [" | ".join(items)]
    for _ in range(rng.randint(1, 3)):
        parts.append(f"{rng.choice(BRANDS)} {rng.choice(PRODUCTS).title()} - {rng.choice(ADJECTIVES).title()} Deals")
    parts += [_fill(t, rng) for t in rng.sample(FOOTER, rng.randint(2, 5))]
    return " ".join(parts)


def boilerplate_page(rng: random.Random) -> str:
    parts = rng.sample(BOILERPLATE, rng.randint(2, 4))
    parts.insert(rng.randint(0, len(parts)), " ".join(rng.sample(NAV_ITEMS, rng.randint(3, 8))))
    parts.append(_fill(rng.choice(FOOTER), rng))
    return " ".join(parts)


def keyword_stuffing(rng: random.Random) -> str:
    product, city = rng.choice(PRODUCTS), rng.choice(CITIES)
    words = []
    for _ in range(rng.randint(10, 30)):
        words.append(rng.choice([f"{rng.choice(ADJECTIVES)} {product}", f"{product} {city}",
                                 f"buy {product} online", f"{rng.choice(BRANDS).lower()} {product}",
                                 f"{product} sale", f"{rng.choice(SERVICES)} {city}", f"{product} near me"]))
    return ", ".join(words)


def ad_copy(rng: random.Random) -> str:
    return " ".join(_fill(t, rng) for t in rng.sample(AD_TEMPLATES, rng.randint(2, 4)))


def product_listing(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(3, 8)):
        lines.append(f"{rng.choice(BRANDS)} {rng.choice(ADJECTIVES)} {rng.choice(PRODUCTS)} "
                     f"${rng.randint(5, 300)}.{rng.randint(0, 99):02d} ({rng.randint(1, 5000)} reviews) Add to cart")
    return " ".join(lines) + " " + _fill(rng.choice(FOOTER), rng)


def comment_spam(rng: random.Random) -> str:
    return " ".join(_fill(t, rng) for t in (rng.choice(COMMENTS) for _ in range(rng.randint(3, 8))))


def word_salad(rng: random.Random, prose: list[str]) -> str:
    """'Spun' content: real words in a random order (same unigrams as prose, no syntax)."""
    words = rng.choice(prose).split()
    rng.shuffle(words)
    return " ".join(words)


KINDS = ("nav", "boilerplate", "keywords", "ads", "listing", "comments", "salad")


def spam_documents(count: int, seed: int = 0, prose: list[str] | None = None,
                   kinds: tuple[str, ...] = KINDS) -> list[str]:
    """``count`` low-quality web texts, kinds drawn uniformly from ``kinds`` with ``seed``."""
    rng = random.Random(seed)
    makers = {"nav": nav_page, "boilerplate": boilerplate_page, "keywords": keyword_stuffing,
              "ads": ad_copy, "listing": product_listing, "comments": comment_spam}
    prose = prose if prose is not None else prose_passages()
    out = []
    for _ in range(count):
        kind = rng.choice(kinds)
        out.append(word_salad(rng, prose) if kind == "salad" else makers[kind](rng))
    return out


def write_lines(path: Path, texts: list[str]) -> Path:
    """Plain text, one document per line (a format ``curation quality`` reads)."""
    path.write_text("".join(t.replace("\n", " ") + "\n" for t in texts), encoding="utf-8")
    return path
