"""Non-answers: "RAS", "néant", "voir ci-dessus", "pas d'avis", "?"… recognised so that they are
counted apart and never become (or blur) a proposal.

The rule set is deliberately a whole-text match: an answer is a non-answer only when *all* of it
is one of the formulas below (after folding case, accents, punctuation and spacing). "Voir
ci-dessus : sanctionner le moindre écart" carries a proposal and stays substantive; so does
"Rien, c'est aux parents d'éduquer". Kinds:

- ``empty``: nothing but punctuation, digits or symbols ("?", "...", "-", "0").
- ``nothing``: "RAS", "R.A.S.", "rien à signaler / dire / ajouter", "néant", a bare "rien",
  "aucun", "nothing".
- ``no_opinion``: "pas d'avis", "sans avis", "aucun avis", "sans opinion", "no comment".
- ``dont_know``: "je ne sais pas", "NSP", "aucune idée", "je n'ai aucune réponse", "à voir".
- ``see_elsewhere``: a pointer to another answer and nothing else: "voir ci-dessus", "cf. plus
  haut", "idem", "même réponse que ci-dessus", "voir la réponse précédente", "déjà répondu"; and
  any answer that is nothing once its pointers are cut (``without_pointers``: "voir si dessus",
  "VOIR MA RÉPONSE IDEM PLUS HAUT"). The same pattern cuts a pointer out of a proposal unit
  (``clustering/units.py``): "Voir ci-dessus : sanctionner le moindre écart" proposes
  "sanctionner le moindre écart".
- ``refusal``: "je refuse de répondre", "pas de réponse", "question orientée…" alone.
- ``yes_no``: a bare "oui" or "non" (with ``yes_no=True``, the default). An open question ("que
  peuvent faire les pouvoirs publics ?") is not answered by yes or no; for a question that is
  really closed, pass ``yes_no=False``.

Measured on held-out real answers (``bench/non_answers.py``, ``docs/non_answers.md``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Patterns read a folded text: lower case, no accents, apostrophes kept, every other
# punctuation mark a space, spaces collapsed.
_ABOVE = r"(?:ci ?des+us|au ?des+us|la haut|plus haut|en haut|precedem+ent|avant)"
_ANSWER = (
    r"(?:(?:ma|mes|la|les|une|des|cette|ces|mon|nos|notre) )?(?:(?:\d+|deux|2) )?(?:dernieres? |"
    r"derniers? |precedente?s? )?(?:reponses?|commentaires?|contributions?|remarques?|propositions?"
    r"|paragraphes?|questions?|points?|textes?|idees?|items?)(?: (?:et|ou) (?:contributions?|"
    r"commentaires?|propositions?|remarques?))?"
)
_PRECEDING = r"(?:precedente?s?|anterieure?s?|d ?avant|du dessus|plus haut|ci ?des+us|au ?des+us)"
_POINTER = (
    r"(?:voir|voire|voi|vois|cf|confer|lire|se (?:referer|reporter) (?:a|au)"
    r"|reportez vous (?:a|au)|idem|pareil|comme)"
)
_RULES: dict[str, list[str]] = {
    "nothing": [
        r"r ?a ?s",
        r"rien a (?:signaler|dire|ajouter|declarer|redire)(?: de plus| d autre)?",
        r"n[e]?ant",
        r"rien",
        r"rien du tout",
        r"aucun(?:e)?",
        r"nothing",
        r"nada",
        r"je n ?ai rien a (?:dire|ajouter|signaler)",
    ],
    "no_opinion": [
        r"(?:je n ?ai )?(?:pas|aucun|sans|pas vraiment) d ?(?:avis|opinion)",
        r"(?:sans|aucun(?:e)?|pas d ?) ?(?:avis|opinion)",
        r"(?:pas de|sans) commentaires?",
        r"no comment",
        r"je ne me prononce pas",
        r"ne se prononce pas",
    ],
    "dont_know": [
        r"(?:je )?(?:ne )?(?:sais|sait|ne sais) (?:pas|plus|rien)(?: trop| vraiment)?",
        r"(?:je n ?en sais rien|j en sais rien|je ne sais)",
        r"n ?s ?p",
        r"(?:aucune|pas d|pas la moindre|je n ?ai aucune|je n ?ai pas d) ?idee",
        r"(?:je n ?ai |je n ai )?(?:malheureusement )?(?:aucune|pas de) (?:reponse|solution)s?",
        r"a voir",
        r"je ne vois pas",
        r"difficile a dire",
        r"pas grand chose et je ne sais pas",
    ],
    "see_elsewhere": [
        rf"{_POINTER} {_ANSWER}(?: {_PRECEDING})?",
        rf"{_POINTER}(?: {_ANSWER})? {_ABOVE}",
        rf"(?:{_POINTER} )?(?:{_ANSWER} )?{_ABOVE}",
        rf"(?:la )?reponse (?:est |se trouve |donnee )?{_ABOVE}",
        rf"(?:(?:ma|la|les|mes) )?reponses? (?:est |sont |se trouvent? )?(?:dans|a|en) {_ANSWER}"
        rf"(?: {_PRECEDING})?",
        rf"(?:(?:tout|c est|voir) )?ce que j ai (?:deja )?(?:dit|ecrit|repondu|mentionne|indique)"
        rf" {_ABOVE}",
        rf"(?:idem|pareil|meme reponse|meme chose)(?: (?:que )?{_ABOVE}| (?:que|qu a) (?:la )?"
        rf"(?:question|reponse) {_PRECEDING})?",
        r"(?:idem|pareil)(?: que)?(?: (?:ci ?des+us|plus haut|avant))?",
        rf"(?:meme question )?(?:que )?{_ABOVE}(?: donc)? meme reponse",
        rf"meme question que {_ABOVE} donc meme reponse",
        rf"(?:voir|cf) {_ABOVE} question en double",
        r"(?:deja|j ai deja) repondu(?: (?:plus haut|ci ?des+us|avant|precedem+ent))?",
        r"question (?:en )?double(?:on)?",
    ],
    "refusal": [
        r"(?:je )?(?:refuse|ne veux pas|ne souhaite pas) (?:de )?repondre(?: a cette question)?",
        r"pas de reponse",
        r"question orientee a laquelle je refuse de repondre",
        r"n a rien a faire dans ce questionnaire",
    ],
}
# A pointer to another answer ("Voir ci-dessus", "cf. plus haut", "idem que ci-dessus", "voir ma
# réponse précédente"): no proposal, and words ("voir", "dessus") a group must not form on.
_ELSEWHERE = (
    r"(?:(?:voir|voire|cf\.?|confer|idem|pareil|même réponse|j['’]ai (?:déjà )?répondu)"
    r"(?:\s+(?:à |a )?(?:(?:ma|mes|la|les|mon|nos|notre)\s+)?(?:r[ée]ponses?"
    r"|propositions?|props?|commentaires?|remarques?)(?:\s+précédentes?)?)?\s*,?"
    r"(?:\s+(?:idem|que))?\s+(?:ci[- ]?dessus|si[- ]?dessus|au[- ]?dessus|ci[- ]?avant"
    r"|ci[- ]?dessous|plus haut|plus bas|précédemment|pr[ée]c[ée]dentes?)"
    r"|(?:cette\s+)?question\s+(?:est\s+)?(?:redondante|en double|déjà posée))"
)
_ELSEWHERE_FIRST = re.compile(r"^\s*" + _ELSEWHERE + r"(?:\s*[:;,+/.!–—-]+\s*|\s+|$)", re.I)
_ELSEWHERE_LAST = re.compile(r"[\s,;:+/–—-]*(?:\bet\s+)?\b" + _ELSEWHERE + r"\s*[.!]*\s*$", re.I)


def without_pointers(sentence: str) -> tuple[str, int]:
    """``sentence`` without a pointer to another answer at its start or end, and how many
    characters were cut from its start: "Voir ci-dessus : sanctionner le moindre écart" gives
    "sanctionner le moindre écart", "l'éducation, l'information, et voir ci-dessus" gives
    "l'éducation, l'information"; a sentence that is only a pointer gives ""."""
    cut = 0
    while first := _ELSEWHERE_FIRST.match(sentence):  # "question redondante voir ci-dessus"
        cut += first.end()
        sentence = sentence[first.end() :]
    last = _ELSEWHERE_LAST.search(sentence)
    if last:
        sentence = sentence[: last.start()]
    return sentence.rstrip(), cut


_YES_NO = re.compile(r"(?:oui|non|yes|no)")
_COMPILED = {
    kind: re.compile("|".join(f"(?:{p})" for p in patterns)) for kind, patterns in _RULES.items()
}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces (apostrophes as spaces too), spaces
    collapsed: "R.A.S." → "r a s", "Voir  ci-dessus !" → "voir ci dessus"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


@dataclass
class NonAnswerDetector:
    """Recognises answers with nothing in them (see the module's rule set).

    Parameters
    ----------
    yes_no:
        Whether a bare "oui"/"non" is a non-answer (right for open questions, the default).
    max_words:
        Longer answers are never non-answers: every formula is short, and a long text that
        starts with one ("Je ne sais pas, mais…") goes on to say something.
    """

    yes_no: bool = True
    max_words: int = 12

    def kind(self, text: str | None) -> str | None:
        """The kind of non-answer ``text`` is, or ``None`` when it says something.

        Kinds: ``empty``, ``nothing``, ``no_opinion``, ``dont_know``, ``see_elsewhere``,
        ``refusal``, ``yes_no``."""
        folded = fold(text or "")
        if not folded or folded.isdigit():
            return "empty"
        if len(folded.split()) > self.max_words:
            return None
        for name, pattern in _COMPILED.items():
            if pattern.fullmatch(folded):
                return name
        if self.yes_no and _YES_NO.fullmatch(folded):
            return "yes_no"
        if not fold(without_pointers(text or "")[0]):  # "voir si dessus", "voir ci-avant"
            return "see_elsewhere"
        return None

    def is_non_answer(self, text: str | None) -> bool:
        """Whether ``text`` is a non-answer of any kind."""
        return self.kind(text) is not None

    def predict(self, texts: Iterable[str | None]) -> list[bool]:
        """``True`` for each non-answer."""
        return [self.kind(t) is not None for t in texts]

    def counts(self, texts: Sequence[str | None]) -> Counter:
        """How many non-answers of each kind (for reports)."""
        return Counter(k for k in map(self.kind, texts) if k is not None)
