"""PII redaction: the labelled set's precision/recall floors, the rules, and ``curation docs`` with it on."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from curation.io.docfiles import iter_documents
from filters.pii import PiiConfig, PiiRedactor
from filters.pii_eval import score
from pipelines.cli import main

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "tests" / "data" / "pii" / "labelled.jsonl"

# Measured on the committed set (docs/filters.md): precision 1.000 for every kind; recall email 1.000,
# ip 1.000, phone 0.970. The floors leave room for a libphonenumber metadata update, not for a regression.
FLOORS = {"email": (0.98, 0.98), "ip": (0.98, 0.98), "phone": (0.97, 0.93), "all": (0.98, 0.96)}


@pytest.fixture(scope="module")
def labelled() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text().splitlines()]


def test_labelled_set_is_built_by_its_script(labelled):
    check = subprocess.run([sys.executable, str(REPO / "scripts" / "build_pii_set.py"), "--check"])
    assert check.returncode == 0, "tests/data/pii/labelled.jsonl is stale: run scripts/build_pii_set.py"
    positives = [s for r in labelled for s in r["spans"]]
    lookalikes = [r for r in labelled if not r["spans"]]
    assert len(positives) >= 200 and len(lookalikes) >= 200
    assert sum(r["category"] == "email_obfuscated" for r in labelled) >= 50
    assert {"version", "date", "isbn", "price", "ip_private"} <= {r["category"] for r in lookalikes}


def test_precision_and_recall_floors(labelled):
    result = score(PiiRedactor(), labelled)
    for kind, (precision, recall) in FLOORS.items():
        assert result[kind]["precision"] >= precision, (kind, result["errors"][:10])
        assert result[kind]["recall"] >= recall, (kind, result["errors"][:10])
    # the scorer can fail: with phone numbers off, every phone span is a miss
    assert score(PiiRedactor(phone=False), labelled)["phone"]["recall"] == 0.0


def test_rules_and_tokens():
    redactor = PiiRedactor(email_token="[mail]")
    text, counts = redactor.redact(
        "Write to jane.doe@example.org or jane at example dot org; the NAS at 192.168.0.10 and the "
        "public mirror 93.184.216.34 (also 2606:2800:220:1:248:1893:25c8:1946, not ::1). "
        "Call (212) 555-0142. Version 4.2.1.7, ISBN 978-0-306-40615-7, $1,299.00, 2024-03-05 12:00.")
    assert text == ("Write to [mail] or [mail]; the NAS at 192.168.0.10 and the public mirror <IP> (also <IP>, "
                    "not ::1). Call <PHONE>. Version 4.2.1.7, ISBN 978-0-306-40615-7, $1,299.00, 2024-03-05 12:00.")
    assert counts == {"redacted:email": 2, "redacted:ip": 2, "redacted:phone": 1, "ip_kept_private": 2}
    # prose with "at" and "dot" stays; so does "at" + a real domain
    prose = "Look at this dot com chart. It is available at amazon.com and at the shop."
    assert PiiRedactor().redact(prose)[0] == prose
    assert PiiRedactor(ip=False).redact("ping 8.8.8.8")[0] == "ping 8.8.8.8"


def test_step_keeps_every_document_and_counts():
    step = PiiConfig(enabled=True, phone_regions=["gb"]).step()
    docs = [{"id": "a", "text": "Ring 020 7946 0958 now."}, {"id": "b", "text": "Nothing here."}]
    kept, counts = step.run(docs)
    assert [d["text"] for d in kept] == ["Ring <PHONE> now.", "Nothing here."]
    assert counts["in"] == counts["out"] == 2 and counts["docs_redacted"] == 1 and counts["redacted:phone"] == 1


def test_pii_through_curation_docs(tmp_path):
    pages = [
        {"id": "contact", "url": "https://bakery.example.com/contact",
         "text": "Opening hours and contact.\nOur bakery is open from 7am. Call us on +44 161 496 0753 or "
                 "write to orders@millbrookbakery.co.uk.\nWholesale: sales [at] millbrookbakery [dot] co [dot] uk"},
        {"id": "forum", "url": "https://forum.example.net/t/123",
         "text": "My router at 192.168.1.1 keeps dropping. The logs show connections from 185.199.108.153 "
                 "and 2a03:2880:f12f:83:face:b00c:0:25de every minute. Firmware 1.0.4.16 is installed."},
        {"id": "book", "url": "https://books.example.org/r/9",
         "text": "A review of the 2019 edition (ISBN 978-1-4028-9462-6), 352 pages, $24.99, published 03/12/2019."},
    ]
    source = tmp_path / "pages.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in pages))
    config = tmp_path / "pii.yaml"
    config.write_text("filters:\n  enabled: true\n  url_dedup: {enabled: false}\n  c4_lines: {enabled: false}\n"
                      "  c4_pages: {enabled: false}\n  c4_dedup: {enabled: false}\n  langid: {enabled: false}\n"
                      "  badwords: {enabled: false}\n  pii: {enabled: true, phone_regions: [GB]}\n")
    out = tmp_path / "out"
    assert main(["docs", "--input", str(source), "--output", str(out), "--config", str(config),
                 "--set", "filters.pii.ip_token=<IP_ADDRESS>"]) == 0
    stats = json.loads((out / "stats.json").read_text())["counters"]["pii"]
    assert stats["in"] == stats["out"] == 3 and stats["docs_redacted"] == 2
    assert (stats["redacted:email"], stats["redacted:phone"], stats["redacted:ip"]) == (2, 1, 2)
    docs = {d["id"]: d["text"] for p in sorted(out.rglob("part-*")) for d in iter_documents(str(p))}
    assert docs["contact"].endswith("Call us on <PHONE> or write to <EMAIL>.\nWholesale: <EMAIL>")
    assert "192.168.1.1" in docs["forum"]
    assert docs["forum"].count("<IP_ADDRESS>") == 2 and "Firmware 1.0.4.16" in docs["forum"]
    assert docs["book"] == pages[2]["text"]
