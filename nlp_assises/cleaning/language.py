"""Flag contributions that are not in French (lingua, offline, good on short texts)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# Languages a French prefecture plausibly receives; a closed list keeps lingua fast and precise.
CANDIDATES = (
    "FRENCH",
    "ENGLISH",
    "GERMAN",
    "SPANISH",
    "ITALIAN",
    "PORTUGUESE",
    "DUTCH",
    "ARABIC",
    "TURKISH",
    "POLISH",
    "ROMANIAN",
    "RUSSIAN",
)


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1, or "und" when the text is too short to tell
    confidence: float

    @property
    def is_french(self) -> bool:
        return self.language in ("fr", "und")


class LanguageDetector:
    """``min_words``: below it we do not guess (SMS-like French is too easily mistaken)."""

    def __init__(self, *, min_words: int = 4, min_confidence: float = 0.6) -> None:
        self.min_words = min_words
        self.min_confidence = min_confidence

    @cached_property
    def _detector(self):
        from lingua import Language, LanguageDetectorBuilder

        languages = [getattr(Language, name) for name in CANDIDATES]
        # Preloaded: lazy loading costs 20 ms per call until every n-gram model is in memory.
        return (
            LanguageDetectorBuilder.from_languages(*languages)
            .with_preloaded_language_models()
            .build()
        )

    def detect(self, text: str) -> LanguageGuess:
        if len(text.split()) < self.min_words:
            return LanguageGuess("und", 0.0)
        values = self._detector.compute_language_confidence_values(text[:2000])
        if not values:
            return LanguageGuess("und", 0.0)
        top = values[0]
        code = top.language.iso_code_639_1.name.lower()
        if code != "fr" and top.value < self.min_confidence:
            french = next((v.value for v in values if v.language.name == "FRENCH"), 0.0)
            return LanguageGuess("fr", round(float(french), 3))
        return LanguageGuess(code, round(float(top.value), 3))
