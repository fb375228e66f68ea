"""Names written without the capital that tells them apart: in a sentence in capitals ("MON
VOISIN JEAN DUPONT FAIT DU BRUIT"), all in lowercase ("mon voisin kevin morel"), or after a word
that introduces a person ("ma voisine Rose Marchand", "L'ADJUDANT MOREAU").

spaCy's NER finds names by their capital; where every word has one, or none, it misses them.
A list of first and last names tells them apart instead: Faker's person lists (MIT licence) for
French, its neighbours' languages and Turkish, read from the installed package, never copied here.
A first name counts when a last name follows it, or when a word about a person leads it; a word
French uses often counts only when both lists agree ("pierre martin", not "pierre tombale").
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

from nlp_assises.cleaning.lexicon import UNKNOWN_LOGPROB
from nlp_assises.cleaning.shapes import STREET_TYPES

# Faker's locales whose people write to a French prefecture, in the Latin alphabet.
_LOCALES = (
    "fr_FR",
    "fr_BE",
    "fr_CA",
    "fr_CH",
    "en_GB",
    "en_US",
    "es_ES",
    "it_IT",
    "pt_PT",
    "de_DE",
    "tr_TR",
)
# First names that are, first of all, French words a sentence uses ("on ira", "le don", "la
# France"): never a name without a word about a person before them. (spaCy's stop words, "aura",
# "les", "son", are taken out with the rest; so are names of two letters.)
_FIRST_NAMES_NOT = frozenset(
    {"france", "ira", "paye", "canal", "sol", "don", "lance", "can", "will", "may", "page", "mis"}
)
# Words that introduce a person: what they are to the writer ("mon voisin kevin"), then their
# title or rank ("madame girard", "L'ADJUDANT MOREAU").
_RELATIVES = (
    r"voisine?s?|fils|fille|mari|femme|épou(?:x|se)|compagne|compagnon|amie?|copine?"
    r"|frère|s(?:oe|œ)ur|cousine?|neveu|nièce|collègue|patron(?:ne)?|gardienne?|concierge"
    r"|locataire|propriétaire"
)
_COURTESY = r"monsieur|madame|mademoiselle|mme|mlle|mr|m\.|docteur|maître"
# Ranks and offices that name the person after them ("l'adjudant Moreau"): the pseudonymiser's
# title rule reads these too, with a few more words.
RANKS = (
    "gendarme",
    "brigadier(?:-chef)?",
    "adjudant(?:-chef)?",
    "major",
    "lieutenant",
    "capitaine",
    "commandant",
    "colonel",
    "commissaire",
    "sergent",
    "policier",
    "polici[èe]re",
    "agent",
    "maire",
    "adjointe?",
)
_PERSON = re.compile(
    rf"(?<![\w'’])(?:[ldLD]['’])?"
    rf"(?i:(?P<relative>{_RELATIVES})|(?P<courtesy>{_COURTESY})|{'|'.join(RANKS)})"
    r"[ \t]+(?=[^\W\d_])"
)
# A place named after someone: "le collège jean vilar", "RUE JEAN JAURES".
_PLACE = re.compile(
    rf"^(?i:{STREET_TYPES}|av|pl|parc|jardin|stade|gymnase|collège|college|lycée|lycee|école"
    r"|ecole|groupe|centre|hôpital|hopital|clinique|salle|quartier|pont|port|gare"
    r"|station|métro|metro|fondation|institut|université|universite|campus|espace|maison|halle"
    r"|piscine|médiathèque)$"
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A word French uses this often is a last name only when the list has it ("dupont" -5.1,
# "morel" -5.4 are listed); rarer words are names after a first name ("chambonnet" -7.7), not
# adjectives ("systématiques" -5.75).
_RARE_LOGPROB = -6.0
# A first name this frequent as a French word needs a listed last name to count ("pierre",
# "claire", "marine"; "kevin" is -4.7).
_FREQUENT_FIRST_LOGPROB = -4.4
# After a word about a person, a word in lowercase this frequent is the sentence going on
# ("qu'un gendarme vienne", "un agent passe", "mon collègue blanc"), not a name.
_FREQUENT_WORD_LOGPROB = -4.5


def fold(word: str) -> str:
    """Lowercase without accents: "KÉVIN" and "Kévin" are one name (capitals drop accents)."""
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Names:
    """Faker's first and last names for ``_LOCALES``, lowercase as written and folded: a word in
    lowercase keeps its accents ("aime" is no "Aimé"), one in capitals may have lost them."""

    def __init__(self) -> None:
        import importlib

        from spacy.lang.fr.stop_words import STOP_WORDS

        first: set[str] = set()
        last: set[str] = set()
        for locale in _LOCALES:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
            for attribute in ("first_names", "first_names_male", "first_names_female"):
                first |= {n.lower() for n in getattr(provider, attribute, ()) or ()}
            last |= {n.lower() for n in getattr(provider, "last_names", ()) or ()}
        # three letters or more, and never a word of a sentence's grammar ("sans", "les")
        keep = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:-[^\W\d_]+)*$")
        self.first = {n for n in first if keep.match(n) and len(n) > 2} - STOP_WORDS
        self.first -= _FIRST_NAMES_NOT
        self.last = {n for n in last if keep.match(n) and len(n) > 2} - STOP_WORDS
        self.first_folded = {fold(n) for n in self.first}
        self.last_folded = {fold(n) for n in self.last}

    def is_first(self, word: str) -> bool:
        if word.isupper():
            return all(part in self.first_folded for part in fold(word).split("-"))
        return all(part in self.first for part in word.lower().split("-"))

    def is_last(self, word: str) -> bool:
        return fold(word) in self.last_folded if word.isupper() else word.lower() in self.last


@lru_cache(maxsize=1)
def names() -> _Names:
    return _Names()


def _uncased(word: str) -> bool:
    return word.isupper() or word.islower()


def uncased_name_spans(text: str, logprob: Callable[[str], float]) -> Iterator[tuple[int, int]]:
    """The (start, end) of each name written without its capitals (``logprob``: a word's
    log-probability in French): a listed first name followed by a last name, in a stretch of
    capitals or of lowercase; and the one or two name words after a word about a person,
    whatever their case."""
    reader = _Reader(text, logprob)
    yield from reader.first_and_last_names()
    yield from reader.names_after_a_person()


class _Reader:
    """One text's words, and how French and the name lists see each of them."""

    def __init__(self, text: str, logprob: Callable[[str], float]) -> None:
        self.text = text
        self.logprob = logprob
        self.lists = names()
        self.words = list(_WORD.finditer(text))
        self.starts = {w.start(): i for i, w in enumerate(self.words)}

    def frequency(self, word: str) -> float:
        return self.logprob(fold(word) if word.isupper() else word.lower())

    def rare(self, word: str) -> bool:
        return (
            len(word) > 2
            and word.replace("-", "").isalpha()
            and self.frequency(word) < _RARE_LOGPROB
        )

    def imperative(self, word: str) -> bool:
        """A verb said to the person ("mademoiselle bloquez le"): "-ez" on a known "-er" verb."""
        return word.endswith("ez") and self.frequency(word[:-2] + "er") > UNKNOWN_LOGPROB

    def first_and_last_names(self) -> Iterator[tuple[int, int]]:
        """ "JEAN DUPONT", "kevin morel": a listed first name, then a listed last name or, after
        a first name rarer as a word, a rare word; in capitals or in lowercase around them."""
        words, lists = self.words, self.lists
        for index, (here, after) in enumerate(itertools.pairwise(words)):
            first, second = here.group(0), after.group(0)
            if self.text[here.end() : after.start()].strip(" \t") or not _uncased(first):
                continue
            if first.isupper() != second.isupper() or not _uncased(second):
                continue
            if not lists.is_first(first) or not _in_capitals_or_lowercase(self.text, words, index):
                continue
            if index and _PLACE.match(words[index - 1].group(0)):  # "rue jean pierre timbaud"
                continue
            # an unlisted rare word is a last name only after a first name rarer as a word and
            # not one of three letters ("dan komisaria" is Creole)
            plain_first = self.frequency(first) < _FREQUENT_FIRST_LOGPROB and len(first) > 3
            if lists.is_last(second) or (plain_first and self.rare(second)):
                yield here.start(), after.end()

    def names_after_a_person(self) -> Iterator[tuple[int, int]]:
        """One or two name words after a relative, a courtesy title or a rank."""
        for m in _PERSON.finditer(self.text):
            following = self.words[self.starts[m.end()] :][:2] if m.end() in self.starts else []
            kept: list[re.Match] = []
            for word in following:
                name = word.group(0)
                if kept and (
                    self.text[kept[-1].end() : word.start()].strip(" \t")
                    or name[:1].isupper() != kept[0].group(0)[:1].isupper()
                ):
                    break
                if not self._named(m, word):
                    break
                kept.append(word)
            if kept:
                yield kept[0].start(), kept[-1].end()

    def _named(self, person: re.Match, word: re.Match) -> bool:
        name = word.group(0)
        listed = self.lists.is_first(name) or self.lists.is_last(name)
        if name.islower():
            # "mon voisin kevin"; a frequent word goes on with the sentence ("qu'un gendarme
            # vienne", "mon collègue blanc"), unless it is a first name after a relative
            return (listed and self.frequency(name) < _FREQUENT_WORD_LOGPROB) or (
                (person.group("relative") is not None and self.lists.is_first(name))
                # "madame ribaud"; a rare word after a rank goes on ("le maire sortant")
                or (
                    person.group("courtesy") is not None
                    and self.rare(name)
                    and not self.imperative(name)
                )
            )
        if name.isupper():  # "MONSIEUR KOWALCZYK", not "Agent SSIAP à l'aéroport"
            index = self.starts[word.start()]
            return listed or (
                self.rare(name) and _in_capitals_or_lowercase(self.text, self.words, index)
            )
        return listed or self.rare(name)  # capitalised: "Madame Castagné"


def _in_capitals_or_lowercase(text: str, words: list[re.Match], index: int) -> bool:
    """Whether the words around ``words[index]`` on its line are written as it is: a line of
    its own in capitals ("JEAN-PIERRE DUVAL"), or most of a sentence in capitals or in
    lowercase; not a word in capitals among others ("JEAN" in "Signé JEAN" is NER's)."""
    here = words[index]
    line_start = text.rfind("\n", 0, here.start()) + 1
    line_end = text.find("\n", here.end())
    line_end = len(text) if line_end < 0 else line_end
    written = str.isupper if here.group(0).isupper() else str.islower
    around = [
        w.group(0)
        for w in words[max(0, index - 3) : index + 5]
        if len(w.group(0)) > 1 and line_start <= w.start() < line_end
    ]
    if len(around) <= 3 and text[line_start:line_end].strip() == " ".join(around):
        return all(written(w) for w in around)
    return sum(written(w) for w in around) >= max(3, len(around) * 2 // 3)
