"""Repair the PDF accent artifact: "geéneérale" → "générale", "eé lus" → "élus".

Some PDF producers draw an accented letter as its base letter followed by a stand-in accented
glyph that only carries the accent, sometimes followed by one space. Text extraction then yields
pairs such as "eé", "eà" (for è), "eê", "aà", "cç". We match on the accent of the second letter
(after Unicode decomposition), not on a list of pairs, since other documents pick other stand-ins.

French also has such sequences legitimately (chaîne, requête, boîte, coût, poêle, créé, Laàs), so
every candidate is judged by a French lexicon with frequencies: the reading whose words are most
probable wins. When the lexicon knows neither reading, only a letter followed by the same letter
accented ("eé", "aà") is repaired: the artifact's signature, even in a name we do not know.

This runs before any whitespace normalisation: one space after a pair may be the artifact, two
spaces are a real word boundary plus the artifact.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from nlp_assises.cleaning.lexicon import Lexicon
from nlp_assises.cleaning.repairs import Repair

KIND = "pdf_accent"
_MAX_PAIRS_ENUMERATED = 4  # beyond this a word is repaired all-or-nothing


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
_LETTER = r"[^\W\d_]"
_PAIR = rf"[{_PLAIN}][{_ACCENTED}]"
_CANDIDATE = re.compile(
    rf"{_LETTER}*?{_PAIR}(?:{_LETTER}|(?<={_PAIR}) (?={_LETTER}))*"
    rf"(?P<trail> {{1,2}}(?=\S))?"
)


@dataclass(frozen=True)
class _Reading:
    text: str
    logprob: float
    changed_pairs: int
    same_letter_only: bool


class PdfAccentRepairer:
    """Finds and repairs the artifact; every repair is justified by the lexicon."""

    def __init__(self, lexicon: Lexicon | None = None, *, known_margin: float = 2.0) -> None:
        self.lexicon = lexicon or Lexicon("fr")
        self.known_margin = known_margin  # in log10 units: the repair must be 100x more frequent

    def _score(self, words: list[str]) -> float:
        return sum(self.lexicon.logprob(w) for w in words if w)

    def _readings(self, span: str) -> list[_Reading]:
        pairs = [m.start() for m in re.finditer(_PAIR, span)]
        if len(pairs) <= _MAX_PAIRS_ENUMERATED:
            choices = list(itertools.product([False, True], repeat=len(pairs)))
        else:
            choices = [(False,) * len(pairs), (True,) * len(pairs)]
        readings = []
        for choice in choices:
            out = []
            same_letter_only = True
            i = 0
            repaired_ends = set()
            while i < len(span):
                if i in pairs and choice[pairs.index(i)]:
                    base, stand_in = span[i], span[i + 1]
                    _, marks = _split_accent(stand_in)
                    if base.lower() != _split_accent(stand_in)[0].lower():
                        same_letter_only = False
                    out.append(unicodedata.normalize("NFC", base + marks))
                    i += 2
                    repaired_ends.add(len("".join(out)))
                    continue
                out.append(span[i])
                i += 1
            joined = "".join(out)
            # An inner single space right after a repaired pair is the artifact's: the reading
            # with it removed competes with the reading that keeps it as a word boundary.
            inner_spaces = [m.start() for m in re.finditer(r" ", joined)]
            removable = [s for s in inner_spaces if s in repaired_ends]
            for drop in itertools.product([False, True], repeat=len(removable)):
                text = joined
                for pos, flag in sorted(zip(removable, drop, strict=True), reverse=True):
                    if flag:
                        text = text[:pos] + text[pos + 1 :]
                readings.append(
                    _Reading(text, self._score(text.split(" ")), sum(choice), same_letter_only)
                )
        return readings

    def _decide(self, span: str) -> str:
        original_known = all(self.lexicon.knows(w) for w in span.split(" ") if w)
        readings = self._readings(span)
        original = next(r for r in readings if r.changed_pairs == 0 and r.text == span)
        known = [
            r
            for r in readings
            if r.changed_pairs and all(self.lexicon.knows(w) for w in r.text.split(" ") if w)
        ]
        # A known original ("chaîne", "poêle", "Laàs") is kept unless the repaired reading is
        # overwhelmingly more French: the stray "aà" (web noise in the lexicon) against "à".
        margin = self.known_margin if original_known else 0.0
        if known:
            best = max(known, key=lambda r: (r.logprob, -r.changed_pairs))
            if best.logprob > original.logprob + margin:
                return best.text
        if original_known:
            return span
        # Neither reading is French we know (a name, a rare word): repair only the artifact's own
        # signature, a letter followed by the same letter accented ("Duveérger" → "Duvérger").
        signature = [
            r
            for r in readings
            if r.changed_pairs == len(re.findall(_PAIR, span)) and r.same_letter_only
        ]
        if signature:
            return max(signature, key=lambda r: r.logprob).text
        return span

    def repair(self, text: str) -> tuple[str, list[Repair]]:
        if not re.search(_PAIR, text):
            return text, []
        pieces: list[str] = []
        repairs: list[Repair] = []
        last = 0
        for match in _CANDIDATE.finditer(text):
            whole = match.group(0)
            trail = match.group("trail") or ""
            span = whole[: len(whole) - len(trail)]
            new_span = self._decide(span)
            if new_span == span:
                continue
            new_trail = trail
            if trail:
                following = text[match.end() : match.end() + 1]
                if trail == " " and following and following in ",.)…":
                    new_trail = ""  # "seécuriteé ," → "sécurité,"
                elif trail == "  ":
                    new_trail = " "  # artifact space + real word boundary
            new = new_span + new_trail
            pieces.append(text[last : match.start()])
            pieces.append(new)
            repairs.append(Repair(KIND, whole, new, match.start()))
            last = match.end()
        if not repairs:
            return text, []
        pieces.append(text[last:])
        return "".join(pieces), repairs
