"""A French lexicon with frequencies (wordfreq, shipped offline), to judge candidate repairs."""

from __future__ import annotations

import math
from functools import lru_cache

UNKNOWN_LOGPROB = -12.0


@lru_cache(maxsize=4)
def _frequencies(language: str) -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict(language, wordlist="best")


# The only one-letter words of French. wordfreq also counts "é" (for "est") and the elided "l",
# "d" as words; on their own they are not.
SINGLE_LETTER_WORDS = {"a", "à", "y", "ô"}
ELIDED = {
    "l",
    "d",
    "j",
    "m",
    "n",
    "s",
    "t",
    "c",
    "qu",
    "jusqu",
    "lorsqu",
    "puisqu",
    "quoiqu",
    "presqu",
    "quelqu",
}


class Lexicon:
    """Log-probabilities of words; an unknown word scores ``UNKNOWN_LOGPROB``.

    An elided form ("l'école", "qu'il") scores as its parts, as wordfreq counts them.
    """

    def __init__(self, language: str = "fr") -> None:
        self.language = language
        self._freq = _frequencies(language)

    def _lookup(self, word: str) -> float | None:
        word = word.lower().replace("’", "'")
        if len(word) == 1 and word not in SINGLE_LETTER_WORDS:
            return None
        freq = self._freq.get(word)
        if freq:
            return math.log10(freq)
        if "'" in word.strip("'"):
            *elided, last = word.split("'")
            if elided and all(p in ELIDED for p in elided):
                return self._lookup(last)  # the clitic ("l'", "qu'") adds nothing to judge
        return None

    def logprob(self, word: str) -> float:
        found = self._lookup(word)
        return UNKNOWN_LOGPROB if found is None else found

    def knows(self, word: str) -> bool:
        return self._lookup(word) is not None

    def near_frequent(self, word: str, distance: int, min_logprob: float) -> str | None:
        """A word at most ``distance`` edits (Levenshtein) from ``word`` whose log-probability
        is at least ``min_logprob``, or None: what ``word`` is a slip of ("orgaiser" →
        "organiser", "actuellemùent" → "actuellement")."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        found = process.extractOne(
            word.lower(),
            _frequent_words(self.language, min_logprob),
            scorer=Levenshtein.distance,
            score_cutoff=distance,
        )
        return found[0] if found else None


@lru_cache(maxsize=4)
def _frequent_words(language: str, min_logprob: float) -> tuple[str, ...]:
    """The words of ``language`` (letters only, two or more) of at least ``min_logprob``."""
    return tuple(
        w
        for w, f in _frequencies(language).items()
        if len(w) > 1 and w.isalpha() and math.log10(f) >= min_logprob
    )
