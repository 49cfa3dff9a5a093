"""Build the labelled PII set: tests/data/pii/labelled.jsonl (seeded, byte-identical on every run).

    python scripts/build_pii_set.py            # rewrite the file
    python scripts/build_pii_set.py --check    # exit 1 if the committed file differs

Each line is one short web-like passage: ``{"id", "category", "text", "spans": [[start, end, kind]]}``.
Positives carry the gold spans (kind email / ip / phone) and include obfuscated e-mail forms;
look-alikes have no span and hold what must stay: version numbers, dates, ISBNs, prices,
private and reserved IP addresses, times, MAC addresses, and other numbers and "at"/"dot" prose.
Phone numbers are written from real area codes with random subscriber digits (not picked by
the library that detects them), in the formats people write in each country.
``bench/pii.py`` and ``tests/test_pii.py`` score ``filters.pii.PiiRedactor`` on it.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "tests" / "data" / "pii" / "labelled.jsonl"

FIRST = "anna ben carla david emma felix greta hugo ines jonas kim lena marco nora oscar paula quinn rosa sam tara".split()
LAST = "smith mueller garcia rossi dubois novak jensen kowalski silva brown lee martin weber moreau".split()
DOMAINS = ["gmail.com", "example.org", "uni-hamburg.de", "mail.utoronto.ca", "acme-widgets.co.uk", "orange.fr",
           "protonmail.com", "cs.stanford.edu", "web.de", "outlook.com", "city.gov", "startup.io"]
CONTEXT = [
    "For questions about the programme, write to {x} and we will reply within two days.",
    "Contact: {x}",
    "Please send your application to {x} before the end of March.",
    "Posted by the site admin ({x}) on the forum.",
    "If you found a bug, mail {x} with the steps to reproduce it.",
    "Our press office can be reached at {x}.",
    "Questions? {x} is the best way to reach the editors.",
    "The treasurer, who signs as {x}, confirmed the figures.",
]
US_AREA = ["201", "212", "312", "415", "617", "202", "305", "713", "206", "503", "404", "512", "646", "818"]
UK_AREA = [("20", 8), ("161", 7), ("121", 7), ("131", 7), ("141", 7), ("113", 7), ("117", 7)]
DE_AREA = [("30", 8), ("40", 8), ("89", 8), ("69", 7), ("221", 7), ("711", 7)]
DE_MOBILE = [("151", 8), ("160", 7), ("170", 7), ("171", 7), ("172", 7), ("176", 8), ("179", 7)]  # subscriber digits
FR_AREA = ["1", "2", "3", "4", "5", "6", "7"]


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def email(rng: random.Random) -> tuple[str, str]:
    """(local part, domain) of a plausible address."""
    local = rng.choice([f"{rng.choice(FIRST)}.{rng.choice(LAST)}", f"{rng.choice(FIRST)}{rng.randint(1, 99)}",
                        f"{rng.choice(FIRST)[0]}{rng.choice(LAST)}", rng.choice(["info", "contact", "press", "jobs"])])
    return local, rng.choice(DOMAINS)


OBFUSCATIONS = [
    lambda loc, dom: f"{loc} at {dom.replace('.', ' dot ')}",
    lambda loc, dom: f"{loc} [at] {dom.replace('.', ' [dot] ')}",
    lambda loc, dom: f"{loc}(at){dom.replace('.', '(dot)')}",
    lambda loc, dom: f"{loc} AT {dom.replace('.', ' DOT ')}",
    lambda loc, dom: f"{loc} @ {dom}",
    lambda loc, dom: f"{loc} [at] {dom}",
    lambda loc, dom: f"{loc} {{at}} {dom.replace('.', ' {dot} ')}",
]


def public_ipv4(rng: random.Random) -> str:
    first = rng.choice([8, 23, 31, 45, 52, 64, 81, 93, 104, 142, 151, 176, 185, 193, 212, 217])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def public_ipv6(rng: random.Random) -> str:
    prefix = rng.choice(["2001:4860", "2a00:1450", "2606:4700", "2a03:2880", "2620:fe", "2400:cb00"])
    groups = [f"{rng.randint(0, 0xffff):x}" for _ in range(rng.choice([2, 3, 6]))]
    if len(groups) == 6:
        return prefix + ":" + ":".join(groups)
    return prefix + "::" + ":".join(groups)


def phone(rng: random.Random) -> str:
    kind = rng.randrange(9)
    if kind == 0:
        return f"({rng.choice(US_AREA)}) {rng.randint(2, 9)}{digits(rng, 2)}-{digits(rng, 4)}"
    if kind == 1:
        return f"{rng.choice(US_AREA)}-{rng.randint(2, 9)}{digits(rng, 2)}-{digits(rng, 4)}"
    if kind == 2:
        return f"+1 {rng.choice(US_AREA)} {rng.randint(2, 9)}{digits(rng, 2)} {digits(rng, 4)}"
    if kind == 3:
        area, n = rng.choice(UK_AREA)
        sub = f"{rng.randint(2, 8)}{digits(rng, n - 1)}"
        if area == "20":
            return f"020 {sub[:4]} {sub[4:]}" if rng.random() < 0.5 else f"+44 20 {sub[:4]} {sub[4:]}"
        return f"0{area} {sub[:3]} {sub[3:]}" if rng.random() < 0.5 else f"+44 {area} {sub[:3]} {sub[3:]}"
    if kind == 4:
        return f"07{rng.choice(['4', '5', '7', '8', '9'])}{digits(rng, 2)} {digits(rng, 6)}"
    if kind == 5:
        area, n = rng.choice(DE_AREA)
        sub = f"{rng.randint(2, 9)}{digits(rng, n - 1)}"
        return f"+49 {area} {sub}" if rng.random() < 0.5 else f"0{area} {sub}"
    if kind == 6:
        prefix, n = rng.choice(DE_MOBILE)
        return f"+49 {prefix} {digits(rng, n)}"
    if kind == 7:
        pairs = " ".join(digits(rng, 2) for _ in range(4))
        return f"0{rng.choice(FR_AREA)} {pairs}" if rng.random() < 0.5 else f"+33 {rng.choice(FR_AREA)} {pairs}"
    return f"1-800-{rng.randint(2, 9)}{digits(rng, 2)}-{digits(rng, 4)}"


PHONE_CONTEXT = ["Call us on {x} (Mon-Fri, 9am-5pm).", "Tel. {x}", "Phone: {x} / Fax on request",
                 "Reservations by telephone at {x} or at the front desk.", "Questions? Ring {x} any time.",
                 "Mobile {x} (WhatsApp too)", "Customer service: {x}."]
IP_CONTEXT = ["Failed login from {x} at 03:12 UTC.", "The resolver answered from {x}.",
              "Our mirror lives at {x} and is updated hourly.", "Block {x} in your firewall if the scans continue.",
              "GET /index.html from {x} returned 404."]


def positives(rng: random.Random) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category, template, [(value, kind)]) for each positive passage."""
    out = []
    for _ in range(45):
        local, dom = email(rng)
        out.append(("email", rng.choice(CONTEXT), [(f"{local}@{dom}", "email")]))
    for i in range(70):
        local, dom = email(rng)
        out.append(("email_obfuscated", rng.choice(CONTEXT), [(OBFUSCATIONS[i % len(OBFUSCATIONS)](local, dom),
                                                               "email")]))
    for _ in range(35):
        out.append(("ipv4_public", rng.choice(IP_CONTEXT), [(public_ipv4(rng), "ip")]))
    for _ in range(20):
        out.append(("ipv6_public", rng.choice(IP_CONTEXT), [(public_ipv6(rng), "ip")]))
    for _ in range(90):
        out.append(("phone", rng.choice(PHONE_CONTEXT), [(phone(rng), "phone")]))
    for _ in range(10):  # a contact block with all three
        local, dom = email(rng)
        out.append(("contact_block", "Contact {x} - phone {y}, server {z}.",
                    [(f"{local}@{dom}", "email"), (phone(rng), "phone"), (public_ipv4(rng), "ip")]))
    return out


def lookalikes(rng: random.Random) -> list[tuple[str, str]]:
    """(category, text) of passages that contain nothing to redact."""
    r = rng.randint
    out = []
    for _ in range(35):
        v = rng.choice([f"{r(1, 12)}.{r(0, 20)}.{r(0, 40)}", f"{r(1, 12)}.{r(0, 9)}.{r(0, 99)}.{r(0, 9999)}",
                        f"v{r(1, 5)}.{r(0, 30)}.{r(0, 9)}", f"10.0.{r(10000, 22631)}.{r(1, 3000)}"])
        text = rng.choice(["Update to version {v} to fix the crash.", "Released {v}: faster start-up.",
                           "Tested with Python 3.11 and numpy {v}.", "Firmware {v} is available for download.",
                           "Windows build {v} breaks the driver."])
        out.append(("version", text.format(v=v)))
    for _ in range(35):
        y, m, d = r(1990, 2030), r(1, 12), r(1, 28)
        date = rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{m:02d}/{d:02d}/{y}", f"{d}/{m}/{y}",
                           f"{y}{m:02d}{d:02d}", f"{d:02d}-{m:02d}-{y} {r(0, 23):02d}:{r(0, 59):02d}"])
        out.append(("date", rng.choice(["Published {x}.", "Last updated on {x} by the editors.",
                                        "The meeting of {x} was cancelled.", "Deadline: {x}"]).format(x=date)))
    for _ in range(30):
        isbn = rng.choice([f"978-{r(0, 1)}-{r(100, 999)}-{r(10000, 99999)}-{r(0, 9)}",
                           f"{r(0, 1)}-{r(100, 999)}-{r(10000, 99999)}-{r(0, 9)}",
                           f"978{r(1000000000, 1999999999)}", f"979-{r(10, 12)}-{r(100, 999)}-{r(1000, 9999)}-{r(0, 9)}"])
        out.append(("isbn", rng.choice(["ISBN {x}", "Hardcover, ISBN-13: {x}, 320 pages.",
                                        "Cite as: Smith (2019), ISBN {x}."]).format(x=isbn)))
    for _ in range(30):
        price = rng.choice([f"${r(1, 9)},{r(100, 999)}.{r(0, 99):02d}", f"€{r(1, 9)}.{r(100, 999)},{r(0, 99):02d}",
                            f"£{r(100, 9999)}.{r(0, 99):02d}", f"{r(1, 9)} {r(100, 999)} {r(100, 999)} kr",
                            f"USD {r(1000, 99999)}.00", f"{r(1, 99)},{r(100, 999)},{r(100, 999)} yen"])
        out.append(("price", rng.choice(["Now only {x}!", "The house sold for {x} last spring.",
                                         "Total (incl. VAT): {x}", "Budget approved: {x}."]).format(x=price)))
    for _ in range(30):
        ip = rng.choice([f"192.168.{r(0, 255)}.{r(1, 254)}", f"10.{r(0, 255)}.{r(0, 255)}.{r(1, 254)}",
                         f"172.{r(16, 31)}.{r(0, 255)}.{r(1, 254)}", "127.0.0.1", f"169.254.{r(0, 255)}.{r(1, 254)}",
                         f"fe80::{r(0, 0xffff):x}:{r(0, 0xffff):x}", "::1", f"2001:db8::{r(1, 0xffff):x}",
                         f"fd00::{r(1, 0xffff):x}", f"203.0.113.{r(1, 254)}", f"198.51.100.{r(1, 254)}"])
        out.append(("ip_private", rng.choice(["Set the gateway to {x} in the router settings.",
                                              "The container listens on {x}:8080.",
                                              "ping {x} to check the local link."]).format(x=ip)))
    for _ in range(15):
        x = rng.choice([f"{r(0, 23):02d}:{r(0, 59):02d}:{r(0, 59):02d}",
                        ":".join(f"{r(0, 255):02X}" for _ in range(6)), f"{r(1, 9)}:{r(10, 59)}:{r(10, 59)}.{r(10, 99)}"])
        out.append(("time_or_mac", rng.choice(["Finished in {x}.", "MAC address {x} is whitelisted.",
                                               "Kick-off at {x} sharp."]).format(x=x)))
    for _ in range(30):
        x = rng.choice([f"{r(1, 9)},{r(100, 999)},{r(100, 999)}", f"{r(1, 9)} {r(100, 999)} {r(100, 999)}",
                        f"{r(1000, 9999)}-{r(10, 99)}-{r(1, 9)}", f"{r(1990, 2010)}-{r(2011, 2024)}",
                        f"#{r(10000000, 99999999)}", f"{r(10, 89)}.{r(100000, 999999)}, -{r(10, 170)}.{r(100000, 999999)}",
                        f"{r(10000, 99999)}-{r(1000, 9999)}"])
        out.append(("other_number", rng.choice(["Population: {x} (census).", "CAS number {x}.",
                                                "Order {x} has shipped.", "The coordinates are {x}.",
                                                "From {x} the figures doubled.", "Reference {x}"]).format(x=x)))
    for _ in range(15):
        out.append(("at_dot_prose", rng.choice([
            "Meet me at the station at noon; the dot on the map marks the café.",
            "Look at this dot com bubble chart from 2000.", "Follow @guardian and @BBCNews for updates.",
            "Email support (see the contact page) or ask at the desk.", "We arrived at Paris . Then we left.",
            "The user@localhost account has no mail.", "Use the pattern *@*.example to match any sender.",
            "Prices at Tesco dot Clubcard points apply.", "Score: 3 at half time, 2.5 on average."])))
    return out


def build() -> list[dict]:
    rng = random.Random(16)
    records = []
    for category, template, values in positives(rng):
        text = template.format(**{slot: value for slot, (value, _) in zip("xyz", values)})
        spans, cursor = [], 0
        for value, kind in values:  # slots are filled left to right
            start = text.index(value, cursor)
            spans.append([start, start + len(value), kind])
            cursor = start + len(value)
        records.append({"category": category, "text": text, "spans": spans})
    for category, text in lookalikes(rng):
        records.append({"category": category, "text": text, "spans": []})
    return [{"id": f"pii-{i:04d}", **rec} for i, rec in enumerate(records)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in build())
    if args.check:
        return 0 if TARGET.exists() and TARGET.read_text() == content else 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(content)
    records = build()
    pos = sum(len(r["spans"]) for r in records)
    print(f"wrote {TARGET}: {len(records)} passages, {pos} positive spans, "
          f"{sum(not r['spans'] for r in records)} look-alike passages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
