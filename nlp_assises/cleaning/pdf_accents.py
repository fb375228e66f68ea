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

Spaces: some producers add a space after a pair (the Allier press release: "eé lus",
"annonceé  la"), most extractions keep the text's own ("seécuriteé et", what pypdf reads from a
PDF drawn with stand-ins). So a space after a pair is never taken for the artifact's by itself:
it is removed only when the lexicon knows the word that joining makes and prefers it to the split
words ("é lus" → "élus", never "sécurité et" → "sécuritéet"). This runs before any whitespace
normalisation, since two spaces after a pair tell that the producer added its own.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from nlp_assises.cleaning.lexicon import ELIDED, Lexicon
from nlp_assises.cleaning.repairs import Repair

KIND = "pdf_accent"
_MAX_PAIRS_ENUMERATED = 4  # beyond this a word is repaired all-or-nothing
_MAX_VERDICTS = 50_000
_MAX_PIECES_JOINED = 6  # a word is never made of more pieces than this


# Spacing accents: some producers draw the accent as its own glyph over the letter, and the
# extractor gives it after the letter ("se´curite´"); it stands in for the accent as "é" does.
SPACING_ACCENTS = {
    "\u00b4": "\u0301",  # ´
    "\u02ca": "\u0301",  # ˊ
    "`": "\u0300",
    "\u02cb": "\u0300",  # ˋ
    "\u02c6": "\u0302",  # ˆ
    "\u00a8": "\u0308",  # ¨
    "\u00b8": "\u0327",  # ¸
}


@lru_cache(maxsize=4096)
def _split_accent(char: str) -> tuple[str, str] | None:
    """(base letter, combining marks) of an accented letter, or None; ("", mark) for a spacing
    accent."""
    if char in SPACING_ACCENTS:
        return "", SPACING_ACCENTS[char]
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) < 2 or not decomposed[0].isalpha():
        return None
    marks = decomposed[1:]
    if not all(unicodedata.combining(m) for m in marks):
        return None
    return decomposed[0], marks


def _stand_ins() -> str:
    chars = []
    for code in range(0xC0, 0x250):
        char = chr(code)
        if _split_accent(char):
            chars.append(char)
    return "".join(chars) + re.escape("".join(SPACING_ACCENTS))


_ACCENTED = _stand_ins()
_PLAIN = "A-Za-z"
# A word that holds at least one pair "plain letter + stand-in", possibly continued after one
# space by more letters (maybe the artifact's space inside a word: "eé lus", "concreà tes"). Two
# spaces end it: "aà  Nasbinals" is judged as "aà", not with a name the lexicon barely knows.
_LETTER = r"(?:[^\W\d_]|['’](?=[^\W\d_]))"  # letters, and apostrophes inside words
_PAIR = rf"[{_PLAIN}][{_ACCENTED}]"
_CANDIDATE = re.compile(
    rf"{_LETTER}*?{_PAIR}(?:{_PAIR}|{_LETTER}|(?<={_PAIR}) (?={_LETTER}))*"
    rf"(?P<trail> {{1,2}}(?=\S))?"
)


# The accented letters French writes: a repair must produce one of them ("ó" or "ŕ" never).
FRENCH_ACCENTED = set("àâéèêëîïôùûüÿç" + "àâéèêëîïôùûüÿç".upper())
MIN_KNOWN_LOGPROB = -7.5  # a repaired word must be at least this frequent (zipf 1.5) to count
_FRENCH = "".join(sorted(FRENCH_ACCENTED))
# Marks drawn apart from their letter: an accented letter, two spaces, a word ("curité  et").
_MARK_APART_EVIDENCE = re.compile(rf"[{_FRENCH}]  (?=[^\W\d_])")
# Words linked by one or two spaces after an accented letter: "sé curité  et", "gé né rale".
_MARK_APART_CHAIN = re.compile(rf"(?:{_LETTER}*[{_FRENCH}] {{1,2}}(?={_LETTER}))+{_LETTER}*")
# Each space taken away must make the reading 100 times more probable: "téqui" (a publisher,
# zipf 1.9) is known but "té qui" is not far behind, while "générale", "années", "élus" beat their
# pieces by four to thirteen orders of magnitude.
JOIN_MARGIN = 2.0
STANDALONE_LOGPROB = -5.5  # zipf 3.5: a word on its own ("à", "passé")
COMMON_LOGPROB = -6.0  # zipf 3: "passés" -4.9, "àl" -6.6


@dataclass(frozen=True)
class _Reading:
    text: str
    logprob: float
    pairs: tuple[tuple[str, str], ...]  # (combining marks, stand-in) of each repaired pair
    same_letter_only: bool


@dataclass
class _Document:
    """What one document tells about its artifact, learnt from the repairs the lexicon is sure of.

    ``spacing_preserved``: some pair is followed by two spaces, so the producer added one space
    after its pairs on top of the real spacing (so "seécuriteé ," is "sécurité,").
    ``stand_ins``: the glyph this document's producer uses for each accent.
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
        # The lexicon's verdict on a span depends on the span only,
        # and the same words ("première", "rivière") come back in every contribution.
        self._verdicts: dict[str, tuple[str, _Reading | None] | None] = {}

    def _known(self, word: str) -> bool:
        return self.lexicon.logprob(word) >= MIN_KNOWN_LOGPROB

    def _score(self, words: list[str]) -> float:
        return sum(self.lexicon.logprob(w) for w in words if w)

    def _joinable(self, parts: list[str]) -> bool:
        """May these parts be one word? Only when the lexicon knows it; and a word followed by
        what reads as an elided article or pronoun without its apostrophe ("à l école") joins
        only into a common word ("passé s" → "passés", never "àl", web noise in wordfreq)."""
        joined = "".join(parts)
        if not self._known(joined):
            return False
        for left, right in itertools.pairwise(parts):
            if right.lower() in ELIDED and self.lexicon.logprob(left) >= STANDALONE_LOGPROB:
                return self.lexicon.logprob(joined) >= COMMON_LOGPROB
        return True

    def _segment(self, pieces: list[str]) -> str:
        """Join the pieces between the single spaces that follow repaired pairs into the most
        probable words ("gé", "né", "rale" → "générale"; "sécurité", "et" stay two words).

        A space is only ever removed when the lexicon knows the word it makes and the joined
        reading is a hundred times more probable than the split one (``JOIN_MARGIN``): an
        accented letter ends most French words that end in one (past participles, "à", "où"), so
        the space after it is kept whenever the lexicon cannot say otherwise, names and rare words
        included ("Cé rilly" stays split rather than risk "sécuritéet"). Merging two words is
        worse than leaving one split. The best
        segmentation is found for the span as a whole (dynamic programming over the pieces), not
        space by space, so an early join cannot block a better one ("géné rale").
        """
        n = len(pieces)
        best: list[tuple[float, list[str]]] = [(0.0, [])] + [(-math.inf, [])] * n
        for end in range(1, n + 1):
            for start in range(max(0, end - _MAX_PIECES_JOINED), end):
                if best[start][0] == -math.inf:
                    continue
                marked = "\x00".join(pieces[start:end])
                words = marked.split(" ")
                if not all(self._joinable(w.split("\x00")) for w in words if "\x00" in w):
                    continue
                score = best[start][0] + self._score([w.replace("\x00", "") for w in words])
                score -= JOIN_MARGIN * (end - start - 1)
                if score > best[end][0]:
                    best[end] = (score, [*best[start][1], marked.replace("\x00", "")])
        return " ".join(best[n][1])

    @staticmethod
    def _spacing_preserved(text: str) -> bool:
        """Did the document's producer put one space after every pair, on top of its real spacing?
        Only two spaces after a pair say so ("annonceé  la"); without them one space after a pair
        is the text's own (what pypdf gives for a PDF drawn with stand-ins)."""
        return re.search(_PAIR + r"  (?=\S)", text) is not None

    def _readings(self, span: str) -> list[_Reading]:
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
                    # a letter then the same letter accented, or a bare accent: the signature
                    same_letter_only &= stand_in_base.lower() in ("", base.lower())
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
            # Whether a single space after a repaired pair is the artifact's is decided by the
            # words it separates or makes, read on the repaired text.
            bounds = [0, *spaces, len(out)]
            pieces = ["".join(out[a + (a > 0) : b]) for a, b in itertools.pairwise(bounds)]
            text = self._segment(pieces)
            readings.append(
                _Reading(text, self._score(text.split(" ")), tuple(repaired), same_letter_only)
            )
        return readings

    def _by_lexicon(self, span: str, document: _Document) -> tuple[str, _Reading | None] | None:
        """(decision, the reading chosen) when the lexicon decides, None when it cannot."""
        if span not in self._verdicts:
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[span] = self._judge(span)
        return self._verdicts[span]

    def _judge(self, span: str) -> tuple[str, _Reading | None] | None:
        original_known = all(self.lexicon.knows(w) for w in span.split(" ") if w)
        readings = self._readings(span)
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
        ("Duveérger"), or uses the stand-in this document was seen to use ("Cheázelle"); and
        only in a document where the lexicon confirmed the artifact elsewhere: a writer's own
        "reéducation" in clean text is theirs to keep."""
        if not document.stand_ins:
            return span
        n_pairs = len(re.findall(_PAIR, span))
        candidates = [
            r
            for r in self._readings(span)
            if len(r.pairs) == n_pairs
            and (r.same_letter_only or all(document.uses(m, g) for m, g in r.pairs))
        ]
        return candidates[0].text if candidates else span

    def repair(self, text: str) -> tuple[str, list[Repair]]:
        text, repairs = self._repair_pairs(text)
        text, more = self._rejoin_marks_apart(text)
        return text, repairs + more

    def _rejoin_marks_apart(self, text: str) -> tuple[str, list[Repair]]:
        """A producer that draws each combining mark on its own: pypdf gives the mark after its
        letter, then a space ("se\u0301 curite\u0301  et"), and once composed the text reads
        "sé curité  et". Two spaces after accented letters, seen twice, tell such a document;
        there the spaces after an accented letter are judged as after a repaired pair."""
        if len(_MARK_APART_EVIDENCE.findall(text)) < 2:
            return text, []
        pieces_out: list[str] = []
        repairs: list[Repair] = []
        last = 0
        for match in _MARK_APART_CHAIN.finditer(text):
            chain = match.group(0)
            new = self._segment(re.split(r"(?<=[" + _FRENCH + r"]) {1,2}", chain))
            if new.split() == chain.split():  # no space taken away: the spacing is not ours
                continue
            pieces_out += [text[last : match.start()], new]
            repairs.append(Repair(KIND, chain, new, match.start()))
            last = match.end()
        if not repairs:
            return text, []
        pieces_out.append(text[last:])
        return "".join(pieces_out), repairs

    def _repair_pairs(self, text: str) -> tuple[str, list[Repair]]:
        if not re.search(_PAIR, text):
            return text, []
        matches = list(_CANDIDATE.finditer(text))
        document = _Document(spacing_preserved=self._spacing_preserved(text))
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
                and document.spacing_preserved  # else the space is the writer's ("fait .")
                # French sets no space before these ("seécuriteé ," → "sécurité,", "aà -porter"),
                # but one before ":", ";", "!", "?" and "»", which is never taken away.
                and (
                    following[:1] in {",", ".", ")", "…"}
                    or (following[:1] == "-" and following[1:2].isalpha())
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
