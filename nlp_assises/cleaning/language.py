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


# Words French uses constantly and none of the other candidates writes (so not "de", "la", "que",
# "il", "on", "ou", "au", "des", "du", "ce", "se": Spanish, Italian, Portuguese, Romanian, German or
# English have them too). A long text dense in them is French without asking lingua.
FRENCH_MARKERS = frozenset(
    [
        "et",
        "est",
        "les",
        "une",
        "pour",
        "dans",
        "nous",
        "vous",
        "pas",
        "qui",
        "avec",
        "sur",
        "sont",
        "aux",
        "mais",
        "cette",
        "très",
        "ont",
        "ils",
        "elles",
        "je",
        "leur",
        "leurs",
        "quand",
        "comme",
        "sommes",
        "avons",
        "avez",
        "être",
        "était",
        "fait",
        "aussi",
        "tous",
        "même",
        "peut",
        "faut",
        "nos",
        "vos",
        "notre",
        "votre",
        "parce",
        "chez",
        "depuis",
        "alors",
        "donc",
    ]
)
_ELISIONS = ("j'", "j’", "qu'", "qu’")
_STRIP = '.,;:!?()«»"“”…-'


def french_marker_share(words: list[str]) -> float:
    """Share of ``words`` that only French writes, among the candidate languages."""
    hits = 0
    for word in words:
        word = word.strip(_STRIP).lower()
        if word in FRENCH_MARKERS or word.startswith(_ELISIONS):
            hits += 1
    return hits / len(words) if words else 0.0


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1, or "und" when the text is too short to tell
    confidence: float

    @property
    def is_french(self) -> bool:
        return self.language in ("fr", "und")


class LanguageDetector:
    """``min_words``: below it we do not guess (SMS-like French is too easily mistaken).

    ``marker_share``: a text of at least ``marker_min_words`` words of which this share are
    French-only function words is French, with confidence 1.0, without running lingua (most
    contributions: lingua costs more than half a millisecond a text). Set it above 1 to always
    ask lingua.
    """

    def __init__(
        self,
        *,
        min_words: int = 4,
        min_confidence: float = 0.6,
        marker_share: float = 0.15,
        marker_min_words: int = 12,
    ) -> None:
        self.min_words = min_words
        self.min_confidence = min_confidence
        self.marker_share = marker_share
        self.marker_min_words = marker_min_words

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
        words = text.split()
        if len(words) < self.min_words:
            return LanguageGuess("und", 0.0)
        if (
            len(words) >= self.marker_min_words
            and french_marker_share(words[:400]) >= self.marker_share
        ):
            return LanguageGuess("fr", 1.0)
        values = self._detector.compute_language_confidence_values(text[:2000])
        if not values:
            return LanguageGuess("und", 0.0)
        top = values[0]
        code = top.language.iso_code_639_1.name.lower()
        if code != "fr" and top.value < self.min_confidence:
            french = next((v.value for v in values if v.language.name == "FRENCH"), 0.0)
            return LanguageGuess("fr", round(float(french), 3))
        return LanguageGuess(code, round(float(top.value), 3))
