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
# First names that are, first of all, French words a sentence uses ("il aura", "on ira", "le
# don", "la France"): never a name without a word about a person before them.
_FIRST_NAMES_NOT = frozenset(
    {
        "france",
        "aura",
        "ira",
        "us",
        "el",
        "paye",
        "canal",
        "sol",
        "don",
        "lance",
        "can",
        "will",
        "may",
        "page",
        "mis",
        "son",
        "ce",
        "les",
        "des",
        "nous",
        "vous",
        "ou",
        "si",
        "ni",
    }
)
# Words that introduce a person: what they are to the writer ("mon voisin kevin"), then their
# title or rank ("madame girard", "L'ADJUDANT MOREAU").
_RELATIVES = (
    r"voisine?s?|fils|fille|mari|femme|épou(?:x|se)|compagne|compagnon|amie?|copine?"
    r"|frère|s(?:oe|œ)ur|cousine?|neveu|nièce|collègue|patron(?:ne)?|gardienne?|concierge"
    r"|locataire|propriétaire"
)
_COURTESY = r"monsieur|madame|mademoiselle|mme|mlle|mr|m\.|docteur|maître"
_RANKS = (
    r"gendarme|brigadier(?:-chef)?|adjudant(?:-chef)?|major|lieutenant|capitaine|commandant"
    r"|colonel|commissaire|sergent|policier|policière|agent|maire|adjointe?"
)
_PERSON = re.compile(
    rf"(?<![\w'’])(?:[ldLD]['’])?(?i:(?P<relative>{_RELATIVES})|(?P<courtesy>{_COURTESY})|{_RANKS})"
    r"[ \t]+(?=[^\W\d_])"
)
# A place named after someone: "le collège jean vilar", "RUE JEAN JAURES".
_PLACE = re.compile(
    r"^(?i:rue|avenue|av|bd|boulevard|place|pl|quai|allée|allee|impasse|chemin|cours|square|parc"
    r"|jardin|stade|gymnase|collège|college|lycée|lycee|école|ecole|groupe|centre|hôpital|hopital"
    r"|clinique|salle|cité|cite|résidence|residence|quartier|pont|port|gare|station|métro|metro"
    r"|fondation|institut|université|universite|campus|espace|maison|halle|piscine|médiathèque)$"
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
    lists = names()

    def frequency(word: str) -> float:
        return logprob(fold(word) if word.isupper() else word.lower())

    def rare(word: str) -> bool:
        return len(word) > 2 and word.replace("-", "").isalpha() and frequency(word) < _RARE_LOGPROB

    def imperative(word: str) -> bool:
        """A verb said to the person ("mademoiselle bloquez le"): "-ez" on a known "-er" verb."""
        return word.endswith("ez") and frequency(word[:-2] + "er") > UNKNOWN_LOGPROB

    words = list(_WORD.finditer(text))
    for index, (here, after) in enumerate(itertools.pairwise(words)):
        first, second = here.group(0), after.group(0)
        if text[here.end() : after.start()].strip(" \t") or not _uncased(first):
            continue
        if first.isupper() != second.isupper() or (not second.isupper() and not second.islower()):
            continue
        if not lists.is_first(first) or not _in_capitals_or_lowercase(text, words, index):
            continue
        if index and _PLACE.match(words[index - 1].group(0)):  # "rue jean pierre timbaud"
            continue
        # an unlisted rare word is a last name only after a first name rarer as a word and not
        # one of three letters ("dan komisaria" is Creole)
        plain_first = frequency(first) < _FREQUENT_FIRST_LOGPROB and len(first) > 3
        if lists.is_last(second) or (plain_first and rare(second)):
            yield here.start(), after.end()

    starts = {w.start(): i for i, w in enumerate(words)}
    for m in _PERSON.finditer(text):
        kept: list[re.Match] = []
        for word in words[starts[m.end()] :][:2] if m.end() in starts else []:
            name = word.group(0)
            if kept and (
                text[kept[-1].end() : word.start()].strip(" \t")
                or name[:1].isupper() != kept[0].group(0)[:1].isupper()
            ):
                break
            listed = lists.is_first(name) or lists.is_last(name)
            if name.islower():
                # "mon voisin kevin"; a frequent word goes on with the sentence ("qu'un gendarme
                # vienne", "mon collègue blanc"), unless it is a first name after a relative
                named = (listed and frequency(name) < _FREQUENT_WORD_LOGPROB) or (
                    (m.group("relative") is not None and lists.is_first(name))
                    # "madame ribaud"; a rare word after a rank goes on ("le maire sortant")
                    or (m.group("courtesy") is not None and rare(name) and not imperative(name))
                )
            elif name.isupper():  # "MONSIEUR KOWALCZYK", not "Agent SSIAP à l'aéroport"
                named = listed or (
                    rare(name) and _in_capitals_or_lowercase(text, words, starts[word.start()])
                )
            else:  # capitalised: listed or rare ("Madame Castagné")
                named = listed or rare(name)
            if not named:
                break
            kept.append(word)
        if kept:
            yield kept[0].start(), kept[-1].end()


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
