"""A French lexicon with frequencies (wordfreq, shipped offline), to judge candidate repairs."""

from __future__ import annotations

import math
from functools import lru_cache

UNKNOWN_LOGPROB = -12.0


@lru_cache(maxsize=4)
def _frequencies(language: str) -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict(language, wordlist="best")


class Lexicon:
    """Log-probabilities of words; an unknown word scores ``UNKNOWN_LOGPROB``."""

    def __init__(self, language: str = "fr") -> None:
        self.language = language
        self._freq = _frequencies(language)

    def logprob(self, word: str) -> float:
        freq = self._freq.get(word.lower().replace("’", "'"))
        return math.log10(freq) if freq else UNKNOWN_LOGPROB

    def knows(self, word: str) -> bool:
        return word.lower() in self._freq
