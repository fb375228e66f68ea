"""Repair the PDF accent artifact: "geéneérale" → "générale", "eé lus" → "élus".

Some PDF producers draw an accented letter as its base letter followed by a stand-in accented
glyph that only carries the accent, sometimes followed by one space. Text extraction then yields
pairs such as "eé", "eà" (for è), "eê", "aà", "cç". We match on the accent of the second letter
(after Unicode decomposition), not on a list of pairs, since other documents pick other stand-ins.

French also has such sequences legitimately (chaîne, requête, boîte, coût, poêle, créé, Laàs), so
every candidate is judged by a French lexicon with frequencies: the reading whose words are most
probable wins. When the lexicon knows neither reading (a name, a misspelt word), the document
decides: a letter followed by the same letter accented ("eé", "aà") is the artifact's signature,
and so is a pair using the stand-in glyph the same document was seen to use for that accent.
A repair always yields an accented letter French writes (never "ó" or "ŕ").

This runs before any whitespace normalisation: one space after a pair may be the artifact, two
spaces are a real word boundary plus the artifact.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from nlp_assises.cleaning.lexicon import Lexicon
from nlp_assises.cleaning.repairs import Repair

KIND = "pdf_accent"
_MAX_PAIRS_ENUMERATED = 4  # beyond this a word is repaired all-or-nothing
_MAX_VERDICTS = 50_000


@lru_cache(maxsize=4096)
def _split_accent(char: str) -> tuple[str, str] | None:
    """(base letter, combining marks) of an accented letter, or None."""
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) < 2 or not decomposed[0].isalpha():
        return None
    marks = decomposed[1:]
    if not all(unicodedata.combining(m) for m in marks):
        return None
    return decomposed[0], marks


def _accented_letters() -> str:
    chars = []
    for code in range(0xC0, 0x250):
        char = chr(code)
        if _split_accent(char):
            chars.append(char)
    return "".join(chars)


_ACCENTED = _accented_letters()
_PLAIN = "A-Za-z"
# A word that holds at least one pair "plain letter + accented stand-in", possibly continued after
# one space by more letters (the artifact's space inside a word: "eé lus", "concreà tes").
_LETTER = r"(?:[^\W\d_]|['’](?=[^\W\d_]))"  # letters, and apostrophes inside words
_PAIR = rf"[{_PLAIN}][{_ACCENTED}]"
_CANDIDATE = re.compile(
    rf"{_LETTER}*?{_PAIR}(?:{_LETTER}|(?<={_PAIR}) (?={_LETTER}))*"
    rf"(?P<trail> {{1,2}}(?=\S))?"
)


# The accented letters French writes: a repair must produce one of them ("ó" or "ŕ" never).
FRENCH_ACCENTED = set("àâéèêëîïôùûüÿç" + "àâéèêëîïôùûüÿç".upper())
MIN_KNOWN_LOGPROB = -7.5  # a repaired word must be at least this frequent (zipf 1.5) to count
STANDALONE_LOGPROB = -5.5  # zipf 3.5: frequent enough to be a word on its own


@dataclass(frozen=True)
class _Reading:
    text: str
    logprob: float
    pairs: tuple[tuple[str, str], ...]  # (combining marks, stand-in) of each repaired pair
    same_letter_only: bool


@dataclass
class _Document:
    """What one document tells about its artifact, learnt from the repairs the lexicon is sure of.

    ``spacing_preserved``: some pair is followed by two spaces, so the document kept its spacing
    and one space after a pair is always the artifact's. ``stand_ins``: the glyph this document's
    producer uses for each accent.
    """

    spacing_preserved: bool
    stand_ins: dict[str, Counter] = field(default_factory=dict)

    def learn(self, reading: _Reading) -> None:
        for marks, stand_in in reading.pairs:
            self.stand_ins.setdefault(marks, Counter())[stand_in] += 1

    def uses(self, marks: str, stand_in: str, min_count: int = 1) -> bool:
        seen = self.stand_ins.get(marks)
        if not seen:
            return False
        glyph, count = seen.most_common(1)[0]
        return glyph == stand_in and count >= min_count


class PdfAccentRepairer:
    """Finds and repairs the artifact; every repair is justified by the lexicon or, for words it
    does not know, by what the same document showed of its artifact."""

    def __init__(self, lexicon: Lexicon | None = None, *, known_margin: float = 2.0) -> None:
        self.lexicon = lexicon or Lexicon("fr")
        self.known_margin = known_margin  # in log10 units: the repair must be 100x more frequent
        # The lexicon's verdict on a span depends on the span and the document's spacing only,
        # and the same words ("première", "rivière") come back in every contribution.
        self._verdicts: dict[tuple[str, bool], tuple[str, _Reading | None] | None] = {}

    def _known(self, word: str) -> bool:
        return self.lexicon.logprob(word) >= MIN_KNOWN_LOGPROB

    def _score(self, words: list[str]) -> float:
        return sum(self.lexicon.logprob(w) for w in words if w)

    def _standalone(self, word: str) -> bool:
        """A word frequent enough to stand alone ("à", "né", "été"); wordfreq's rarer entries
        ("cé", "béné", "àla") are web noise, not evidence of a word boundary."""
        return self.lexicon.logprob(word) >= STANDALONE_LOGPROB

    def _keep_space(self, left: str, right: str) -> bool:
        """In a document whose spacing was lost, is the single space after a repaired pair a real
        word boundary ("à Nasbinals", "été îlotier") or the artifact's ("É vaux", "Cé rilly")?"""
        left_word = left.rsplit(" ", 1)[-1]
        right_word = right.split(" ", 1)[0]
        joined = left_word + right_word
        if self._known(joined) and self.lexicon.logprob(joined) > (
            self.lexicon.logprob(left_word) + self.lexicon.logprob(right_word)
        ):
            return False
        if self._standalone(left_word):
            return True
        fragment = left_word.rsplit("'", 1)[-1]
        if len(fragment) == 1:  # a lone accented letter is never a word end: "É", "s'é"
            return False
        return self._standalone(right_word)

    def _spacing_preserved(self, text: str, spans: list[str]) -> bool:
        """Did the document keep its spacing? Two spaces after a pair say yes; a pair ending a
        common word followed by one space ("aà la") says it was collapsed; no evidence: yes."""
        if re.search(_PAIR + r"  (?=\S)", text):
            return True
        for span in spans:
            for m in re.finditer(_PAIR + r" (?=\S)", span):
                start = max(span.rfind(" ", 0, m.start()), span.rfind("'", 0, m.start())) + 1
                base, stand_in = span[m.start()], span[m.start() + 1]
                word = span[start : m.start()] + unicodedata.normalize(
                    "NFC", base + _split_accent(stand_in)[1]
                )
                if self._standalone(word):
                    return False
        return True

    def _readings(self, span: str, spacing_preserved: bool) -> list[_Reading]:
        pairs = [m.start() for m in re.finditer(_PAIR, span)]
        if len(pairs) <= _MAX_PAIRS_ENUMERATED:
            choices = list(itertools.product([False, True], repeat=len(pairs)))
        else:
            choices = [(False,) * len(pairs), (True,) * len(pairs)]
        readings = []
        for choice in choices:
            out: list[str] = []
            repaired: list[tuple[str, str]] = []
            spaces: list[int] = []  # positions in ``out`` of a single space after a repaired pair
            same_letter_only, valid = True, True
            i = 0
            while i < len(span):
                if i in pairs and choice[pairs.index(i)]:
                    base, stand_in = span[i], span[i + 1]
                    stand_in_base, marks = _split_accent(stand_in)
                    letter = unicodedata.normalize("NFC", base + marks)
                    valid &= letter in FRENCH_ACCENTED
                    same_letter_only &= base.lower() == stand_in_base.lower()
                    repaired.append((marks, stand_in))
                    out.append(letter)
                    i += 2
                    if i < len(span) and span[i] == " ":
                        spaces.append(len(out))
                        out.append(" ")
                        i += 1
                    continue
                out.append(span[i])
                i += 1
            if not valid:
                continue
            # The single space after a repaired pair is the artifact's when the document kept
            # its spacing; otherwise the words around it decide, read on the repaired text.
            for position in reversed(spaces):
                if spacing_preserved or not self._keep_space(
                    "".join(out[:position]), "".join(out[position + 1 :])
                ):
                    del out[position]
            text = "".join(out)
            readings.append(
                _Reading(text, self._score(text.split(" ")), tuple(repaired), same_letter_only)
            )
        return readings

    def _by_lexicon(self, span: str, document: _Document) -> tuple[str, _Reading | None] | None:
        """(decision, the reading chosen) when the lexicon decides, None when it cannot."""
        key = (span, document.spacing_preserved)
        if key not in self._verdicts:
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = self._judge(span, document.spacing_preserved)
        return self._verdicts[key]

    def _judge(self, span: str, spacing_preserved: bool) -> tuple[str, _Reading | None] | None:
        original_known = all(self.lexicon.knows(w) for w in span.split(" ") if w)
        readings = self._readings(span, spacing_preserved)
        original_score = self._score(span.split(" "))
        known = [
            r for r in readings if r.pairs and all(self._known(w) for w in r.text.split(" ") if w)
        ]
        # A known original ("chaîne", "poêle", "Laàs") is kept unless the repaired reading is
        # overwhelmingly more French: the stray "aà" (web noise in the lexicon) against "à".
        margin = self.known_margin if original_known else 0.0
        if known:
            best = max(known, key=lambda r: (r.logprob, -len(r.pairs)))
            if best.logprob > original_score + margin:
                return best.text, best
        if original_known:
            return span, None
        return None

    def _by_document(self, span: str, document: _Document) -> str:
        """Neither reading is French we know (a name, a rare or misspelt word): repair only when
        every pair is the artifact's signature, a letter followed by the same letter accented
        ("Duveérger"), or uses the stand-in this document was seen to use ("Cheázelle")."""
        n_pairs = len(re.findall(_PAIR, span))
        candidates = [
            r
            for r in self._readings(span, document.spacing_preserved)
            if len(r.pairs) == n_pairs
            and (r.same_letter_only or all(document.uses(m, g) for m, g in r.pairs))
        ]
        return candidates[0].text if candidates else span

    def repair(self, text: str) -> tuple[str, list[Repair]]:
        if not re.search(_PAIR, text):
            return text, []
        matches = list(_CANDIDATE.finditer(text))
        spans = [m.group(0)[: len(m.group(0)) - len(m.group("trail") or "")] for m in matches]
        document = _Document(spacing_preserved=self._spacing_preserved(text, spans))
        decisions: dict[int, str] = {}
        undecided = []
        for index, match in enumerate(matches):
            span = match.group(0)[: len(match.group(0)) - len(match.group("trail") or "")]
            decided = self._by_lexicon(span, document)
            if decided is None:
                undecided.append((index, span))
                continue
            decisions[index] = decided[0]
            if decided[1] is not None:
                document.learn(decided[1])
        for index, span in undecided:
            decisions[index] = self._by_document(span, document)

        pieces: list[str] = []
        repairs: list[Repair] = []
        last = 0
        for index, match in enumerate(matches):
            whole = match.group(0)
            trail = match.group("trail") or ""
            span = whole[: len(whole) - len(trail)]
            new_span = decisions[index]
            if new_span == span:
                continue
            new_trail = trail
            following = text[match.end() : match.end() + 2]
            if trail == "  ":
                new_trail = " "  # artifact space + real word boundary
            elif (
                trail == " "
                and re.search(_PAIR + "$", span)
                and (
                    following[:1] in {",", ".", ")", "…"}  # "seécuriteé ," → "sécurité,"
                    or (following[:1] == "-" and following[1:2].isalpha())  # "aà -porter"
                    or (document.spacing_preserved and not following[:1].isalnum())  # "Aà :"
                )
            ):
                new_trail = ""
            new = new_span + new_trail
            pieces.append(text[last : match.start()])
            pieces.append(new)
            repairs.append(Repair(KIND, whole, new, match.start()))
            last = match.end()
        if not repairs:
            return text, []
        pieces.append(text[last:])
        return "".join(pieces), repairs
