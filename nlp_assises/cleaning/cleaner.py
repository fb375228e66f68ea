"""The cleaner every entry point uses: a fixed sequence of explainable steps.

Order matters: encoding first (an accent hidden in mojibake cannot be judged), then HTML, then the
PDF accent artifact *before* any whitespace change (one space after a pair is the artifact, two are
a word boundary), then line layout, e-mail clean-up, whitespace, and pseudonymisation last, on the
text a reader will see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from nlp_assises.cleaning.email_cleanup import clean_email
from nlp_assises.cleaning.language import LanguageDetector, LanguageGuess
from nlp_assises.cleaning.lexicon import Lexicon
from nlp_assises.cleaning.pdf_accents import PdfAccentRepairer
from nlp_assises.cleaning.pseudonymize import Pseudonymizer
from nlp_assises.cleaning.repairs import Repair
from nlp_assises.cleaning.text_repair import (
    fix_invisible,
    fix_mojibake,
    html_to_text,
    join_hyphenation,
    normalise_whitespace,
)
from nlp_assises.non_answers import NonAnswerDetector

_NON_ANSWERS = NonAnswerDetector()


@dataclass
class CleanResult:
    text: str
    original: str
    repairs: list[Repair] = field(default_factory=list)
    language: str = "und"
    language_confidence: float = 0.0

    @property
    def flags(self) -> list[str]:
        flags = []
        if self.language not in ("fr", "und"):
            flags.append("not_french")
        if not self.text.strip():
            flags.append("empty")
        if any(r.kind == "pseudonym" for r in self.repairs):
            flags.append("pseudonymized")
        if any(r.kind != "pseudonym" for r in self.repairs):
            flags.append("repaired")
        if _NON_ANSWERS.is_non_answer(self.text):  # "RAS", "voir ci-dessus": counted apart
            flags.append("non_answer")
        return flags

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "original": self.original,
            "repairs": [r.to_dict() for r in self.repairs],
            "language": self.language,
            "flags": self.flags,
        }


class Cleaner:
    """Repairs, clean-up and pseudonymisation, each change listed as a ``Repair``.

    Parameters
    ----------
    pseudonymize:
        Replace personal data by placeholders (off for repair-only evaluation).
    detect_language:
        Guess the language and flag non-French contributions.
    email_cleanup:
        Remove quoted replies, forwarding headers, signatures and disclaimers.
    spacy_model:
        The spaCy pipeline whose NER finds person names.
    """

    def __init__(
        self,
        *,
        pseudonymize: bool = True,
        detect_language: bool = True,
        email_cleanup: bool = True,
        spacy_model: str = "fr_core_news_md",
    ) -> None:
        self.pseudonymize = pseudonymize
        self.detect_language = detect_language
        self.email_cleanup = email_cleanup
        self.spacy_model = spacy_model

    @cached_property
    def _lexicon(self) -> Lexicon:
        return Lexicon("fr")

    @cached_property
    def _accents(self) -> PdfAccentRepairer:
        return PdfAccentRepairer(self._lexicon)

    @cached_property
    def _nlp(self):
        from nlp_assises.nlp import load_spacy

        return load_spacy(self.spacy_model, components=("ner",))

    @cached_property
    def _pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(self._nlp)

    @cached_property
    def _language(self) -> LanguageDetector:
        return LanguageDetector()

    def _repair(self, text: str, max_rounds: int = 3) -> tuple[str, list[Repair]]:
        """The steps, repeated until the text no longer changes: one repair can reveal another
        (mojibake hiding an accent artifact), and cleaning must be idempotent."""
        repairs: list[Repair] = []
        for _ in range(max_rounds):
            text, more = self._repair_once(text)
            repairs.extend(more)
            if not more:
                break
        return text, repairs

    def _steps(self):
        yield fix_mojibake
        yield html_to_text
        yield self._accents.repair
        yield fix_invisible
        yield lambda t: join_hyphenation(t, self._lexicon)
        if self.email_cleanup:
            yield clean_email
        yield normalise_whitespace

    def _repair_once(self, text: str) -> tuple[str, list[Repair]]:
        repairs: list[Repair] = []
        for step in self._steps():
            text, more = step(text)
            repairs.extend(more)
        return text, repairs

    def clean(self, text: str) -> CleanResult:
        return self.clean_many([text])[0]

    def clean_many(
        self, texts: Sequence[str] | Iterable[str], batch_size: int = 64
    ) -> list[CleanResult]:
        """Clean several texts; NER runs in batches, which is several times faster."""
        results = []
        for original in texts:
            if not isinstance(original, str):
                raise TypeError("texts must be strings")
            # Lone surrogates cannot be stored or encoded: they are the one thing we drop outright.
            safe = original.encode("utf-8", "replace").decode("utf-8")
            text, repairs = self._repair(safe)
            if safe != original:
                repairs.insert(0, Repair("invalid_unicode", original, safe, 0))
            results.append(CleanResult(text=text, original=original, repairs=repairs))
        if self.pseudonymize and results:  # nothing to read: spaCy is not even loaded
            names = self._pseudonymizer.ner_spans([r.text for r in results], batch_size)
            for result, found in zip(results, names, strict=True):
                result.text, more = self._pseudonymizer.pseudonymize(result.text, found)
                result.repairs.extend(more)
        if self.detect_language:
            for result in results:
                guess: LanguageGuess = self._language.detect(result.text)
                result.language, result.language_confidence = guess.language, guess.confidence
        return results
