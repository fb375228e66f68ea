"""Proposal labels and keywords: a readable phrase from a proposal sentence, in the citizens'
words, and keywords free of generic words; neither ever shows a pseudonym's placeholder."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from functools import lru_cache

from nlp_assises.cleaning.pseudonymize import ANY_PLACEHOLDER, PLACEHOLDER_WORDS
from nlp_assises.clustering.phrasing import label_problem, proposal_opening
from nlp_assises.clustering.units import Unit

GENERIC_WORDS = {
    "sécurité",
    "police",
    "gendarmerie",
    "gendarme",
    "gendarmes",
    "policier",
    "policiers",
    "force",
    "forces",
    "ordre",
    "bonjour",
    "merci",
    "faire",
    "être",
    "avoir",
    "plus",
    "très",
    "aussi",
    "bien",
    "falloir",
    "pouvoir",
    "vouloir",
    "devoir",
    "chose",
    "gens",
    "monsieur",
    "madame",
    "mme",
    "mlle",
    "préfet",
    "cordialement",
    "personne",
    "[personne",
    "an",
    "fois",
    "jour",
}
# Function words that are no keyword (with spaCy's French stop words: ``keyword_stop_words``).
KEYWORD_STOP = {
    "pour",
    "dans",
    "avec",
    "plus",
    "sont",
    "nous",
    "vous",
    "mais",
    "elle",
    "ils",
    "leur",
    "leurs",
    "cette",
    "comme",
    "tout",
    "tous",
    "très",
    "être",
    "avoir",
    "faire",
    "fait",
    "quand",
    "aussi",
    "même",
    "bien",
    "sans",
    "sous",
    "entre",
    "alors",
    "donc",
    "encore",
    "avant",
    "après",
    "depuis",
    "parce",
    "chez",
    "votre",
    "notre",
    "nos",
    "vos",
    "ces",
    "des",
    "les",
    "une",
    "qui",
    "que",
    "quoi",
    "faut",
    "faudrait",
    "rien",
    "peut",
    "doit",
    "veut",
}
# spaCy's French stop words that say what a proposal is about here ("brigade ouverte la nuit",
# "le retour de la police de proximité", "des policiers dehors").
_NOT_FUNCTION_WORDS = frozenset({"ouvert", "ouverte", "ouverts", "retour", "dehors", "proche"})


@lru_cache(maxsize=1)
def keyword_stop_words() -> frozenset[str]:
    """Words that are never a keyword: spaCy's French stop words (less the few of them that say
    what a proposal is about) and ``KEYWORD_STOP``."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset((STOP_WORDS - _NOT_FUNCTION_WORDS) | KEYWORD_STOP)


# A lead-in verb is a whole word ("je souhaite", not the start of "je souhaiterais", which would
# leave "rais …"); its conditional is a lead-in too; either apostrophe.
_LEAD_IN = (
    r"(?:je (?:propose|proposerais|suggère|suggérerais|souhaite|souhaiterais|demande|"
    r"demanderais|pense|crois|voudrais|trouve)\b(?: qu['’e]| de\b| d['’])?|"
    r"nous (?:proposons|souhaitons|souhaiterions|demandons)\b(?: qu['’e]| de\b| d['’])?|"
    r"il faudrait(?: qu['’e])?|il faut(?: qu['’e])?|faudrait|faut|pourquoi ne pas|pourquoi pas|"
    r"il serait (?:bien|bon|utile|souhaitable|judicieux) (?:de |d['’]|qu['’e])?|"
    r"ce serait bien (?:de |d['’]|qu['’e])?|on pourrait|on devrait|j['’]aimerais(?: qu['’e])?|"
    r"[àa] quand|(?:propose|proposent|suggère|suggèrent|demande|demandent) (?:de |d['’])|"
    r"ce qu['’]il (?:nous |me )?faudrait(?:,? c['’]est|\s?:)?)(?![-‐‑])\s*"
)  # not before a hyphen: "Faut-il …" is a question, not "il faut" followed by "-il …"
_LEAD_INS = re.compile(
    r"^(?:(?:et|mais|donc|alors|enfin|aussi|bref|sinon|par ailleurs|de plus|ensuite)\s*,?\s+)?"
    + _LEAD_IN,
    re.I,
)
# "Pour nous comme pour nos clients, il faudrait pouvoir …": the proposal follows the marker.
_MID_LEAD_IN = re.compile(r"[,;:]\s+" + _LEAD_IN, re.I)
# A lead-in of wish ends on "que": what follows is a subjunctive clause, which reads as a
# proposal only with its "Que" ("Que la commune fasse savoir son soutien", not "La commune
# fasse savoir …"). After "je pense que" the clause is a statement: the "que" goes.
_WISH_QUE = re.compile(r"(?<!pense )(?<!crois )(?<!trouve )\bqu(['’]|e)\s*$", re.I)


# Words that hang between a lead-in and its proposal: "Il faut donc plus de police", "Il faut
# aussi éduquer" (the label is "Plus de police", "Éduquer", not "Donc plus de police").
_AFTER_LEAD_IN = re.compile(
    r"^(?:donc|aussi|également|surtout|absolument|vraiment|simplement|peut-être|d['’]abord"
    r"|tout d['’]abord|avant tout|avant toute chose|enfin|ensuite|alors)\b\s*,?\s*",
    re.I,
)


def _after_lead_in(phrase: str, lead_in: re.Match) -> str:
    """``phrase`` after ``lead_in``, with the "Que" a wish's subjunctive needs."""
    rest = _AFTER_LEAD_IN.sub("", phrase[lead_in.end() :].strip(), count=1)
    wish = _WISH_QUE.search(lead_in.group(0).rstrip())
    if wish and rest:
        return ("Qu" + wish.group(1) if wish.group(1) != "e" else "Que ") + rest
    return rest


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _folded_stop_words() -> frozenset[str]:
    """Folded once: ``word_stems`` runs on every unit a group is labelled from."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(_fold(w) for w in STOP_WORDS)


def word_stems(text: str) -> set[str]:
    """Content words of ``text``, accents folded and cut to five letters (a cheap stem that
    matches "patrouille" with "patrouilles" and "commissariat" with "commissariats")."""
    stop = _folded_stop_words()
    return {w[:5] for w in re.findall(r"[a-z]+", _fold(text)) if len(w) > 2 and w not in stop}


# GENERIC_WORDS as ``word_stems`` reads them, folded once (every candidate label is checked).
_GENERIC_STEMS = frozenset(_fold(w)[:5] for w in GENERIC_WORDS)


def content_stems(text: str) -> frozenset[str]:
    """``word_stems`` without the generic ones: the words a label names its proposal by."""
    return frozenset(word_stems(text) - _GENERIC_STEMS)


_MODALS = {"pouvoir", "devoir", "vouloir", "falloir", "faire", "être", "avoir", "aller"}
_MODAL_FORMS = re.compile(
    r"^(?:pourr?(?:ai[st]?|ions|iez|aient|ait|a|ont)|peu[tx]|puiss(?:e|es|ent|ions|iez)|devr?(?:ai[st]?|ions"
    r"|iez|aient|ait|a|ont)|doi[st]|doivent|voudr(?:ai[st]?|ions|iez|aient|ait)|veu[tx]|veulent"
    r"|fau(?:drait|t)|soi[st]|soient|ser(?:ai[st]?|a|ont|aient)|est|sont|ont|a|va|vont|fai[st])$"
)


_SUBJECTS = frozenset({"il", "ils", "elle", "elles", "on"})


def _dangling(word: str) -> bool:
    """A word a label must not end on: a function word or a bare modal ("devraient pouvoir")."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    word = word.lower().strip(",;:")
    elided, _, rest = word.replace("’", "'").partition("'")
    return (
        word in STOP_WORDS
        or word.endswith("'")
        or (len(elided) <= 7 and rest in _SUBJECTS)  # "dès qu'il", "s'il" ("l'autre" is not)
        or word in _MODALS
        or bool(_MODAL_FORMS.match(word))
    )


_TITLES = {"m.", "m", "mme", "mlle", "mr", "monsieur", "madame", "mademoiselle", "dr", "me"}


def without_placeholders(text: str) -> str:
    """``text`` cut at its pseudonyms, never with a hole: the first piece that reads as a phrase
    (three words or more), else the longest. "Mieux éduquer les jeunes [PERSONNE_1] les
    incivilités" gives "Mieux éduquer les jeunes", not "… les jeunes les incivilités"."""
    if not ANY_PLACEHOLDER.search(text):
        return text
    pieces = [p.strip(" ,;:-–—()\"'«»") for p in ANY_PLACEHOLDER.split(text)]
    pieces = [p for p in pieces if re.search(r"[^\W\d_]", p)]
    phrase = next((p for p in pieces if len(p.split()) >= 3), None)
    phrase = phrase or max(pieces, key=len, default="")
    words = phrase.split()
    # "Porter plainte auprès de" [PERSONNE_1], "comme le dit M." [PERSONNE_1]
    while len(words) > 2 and (_dangling(words[-1]) or words[-1].lower() in _TITLES):
        words.pop()
    return " ".join(words)


# A list's numbering at the start of an answer: "1) Eduquer", "2. Sanctionner", "a) Punir".
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}\s?[).°/-]|\(?[a-h]\))\s+")
# A word that ties the sentence to the one before it: "Donc plus de discipline à l'école".
_CONNECTIVE = re.compile(
    r"^(?:et|mais|donc|alors|bref|enfin|ensuite|puis|sinon|or|par ailleurs|de plus)\b\s*,?\s+",
    re.I,
)
# The sentence a label is cut from asks ("Que font les pouvoirs publics … ?"); a lead-in such as
# "pourquoi ne pas" or "à quand" proposes, and was cut before this is read.
_ASKS = re.compile(r"\?[\s\"»”')]*$")
# Where a label's sentence stops saying its proposal: the next sentence, a bracket or a dash, a
# justification ("…, mais", "… car en pratique", "… parce qu'on"; "car" after an article is the
# coach: "dans le car scolaire").
_PROPOSAL_ENDS = re.compile(
    r"(?<=[.!?;])\s|\s[(–—]\s?|,\s(?:car|parce|mais|et je|et nous)\b"
    r"|(?<!\ble)(?<!\bun)(?<!\bdu)(?<!\bau)(?<!\bce)(?<!\bles)(?<!\bdes)(?<!\baux)(?<!\bmon)"
    r"\s(?:car|parce qu(?:e|['’]))\b",
    re.I,
)


def label_from_unit(text: str, max_words: int = 14) -> str:
    """A short readable label from a proposal sentence: numbering and lead-in removed (with a
    "donc" or "aussi" after it), capitalised, cut before a justification ("car …", ", mais …")
    and at a word boundary. Its words are the sentence's own, so they appear in the
    quotes; a pseudonym placeholder is cut away with what follows it (see
    ``without_placeholders``)."""
    phrase = text.strip().strip("-•◦* ").strip()
    phrase = _NUMBERING.sub("", phrase, count=1)
    phrase = re.sub(r"^[»”]\s*", "", phrase)  # a quote's closing mark left at the start
    opening = _LEAD_INS.match(phrase)
    # "Et si …", "Donc plus de discipline": the word tying it to the sentence before goes
    phrase = _after_lead_in(phrase, opening) if opening else _CONNECTIVE.sub("", phrase, count=1)
    middle = _MID_LEAD_IN.search(phrase)
    if middle and len(phrase[middle.end() :].split()) >= 4:
        phrase = _after_lead_in(phrase, middle)
    phrase = without_placeholders(phrase)
    phrase = _PROPOSAL_ENDS.split(phrase)[0]
    asks = not opening and bool(_ASKS.search(phrase))
    words = phrase.split()
    if len(words) > max_words:
        # Cut at the last clause boundary (a comma) that leaves a phrase of a few words, else at
        # the word limit; then drop the function words and modal verbs left dangling at the end.
        commas = [i for i, w in enumerate(words[:max_words], 1) if w.endswith(",") and i >= 8]
        words = words[: commas[-1]] if commas else words[:max_words]
        while len(words) > 2 and _dangling(words[-1]):
            words.pop()
    phrase = " ".join(words).rstrip(" ,;:.!?")
    if asks and phrase:  # read as the question it is
        phrase += " ?"
    if not phrase:
        phrase = without_placeholders(text.strip())[:80].rstrip(" ,;:.!?")
    return phrase[:1].upper() + phrase[1:] if phrase else "Proposition sans libellé"


_NARRATIVE_START = re.compile(
    r"^(?:je|j['’]|on|nous|vous|il|ils|elle|elles|c['’]|ça|cela|ceci|mon|ma|mes|moi|y|"
    r"notre|nos|votre|vos|leurs?|quand|lorsque|lorsqu['’]|sauf|puisque|puisqu['’]|parce|"
    r"ce que|ce qu['’](?!il (?:nous |me )?faudrait)|(?:et|mais) quand|"
    r"bonjour|bonsoir|madame|monsieur|merci|cordialement)\b",
    re.I,
)


# An aside or an example, not the proposal: "(exemple : …)", "Exemple : …", "Ex : …".
_ASIDE = re.compile(r"^(?:[(\[]|ex(?:emples?)?\s*:)", re.I)

_DATE = re.compile(
    r"\b\d{1,2}(?:er)?\s+(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre"
    r"|octobre|novembre|d[ée]cembre)\s+\d{4}\b",
    re.I,
)


# A word said twice in a row ("éduquer, éduquer, éduquer"): emphasis a writer would not paste
# ("faire faire", "nous nous" are grammar).
_STUTTER = re.compile(r"\b(?!nous\b|vous\b|faire\b|fait\b)([a-z]{4,})\b[\s,;.!-]+\1\b")


# Two sentences glued without a space: "Sanctionner.tolerance zero", "Punir!Éduquer".
_GLUED = re.compile(r"[^\W\d_]{2}[.!?;][^\W\d_]{2}")


def pasteable(label: str, max_words: int = 14) -> bool:
    """A label a writer can paste as a proposal: an infinitive or nominal phrase of three words
    or more ("Appliquer la loi", "Plus de police dans les quartiers") or a proposal of two
    (``_short_proposal``: "Montrer l'exemple", "Plus d'éducation"), with a word that is not
    generic, not a story, a greeting or a letter's heading ("On se sent seul", "Bonjour à tous",
    "Yzeure, le 6 janvier 2020"), no word said again and again ("Sanctionner sanctionner
    sanctionner efficacement"), not cut at the word limit ("Il serait judicieux que nous
    puissions" is a stub), no placeholder, and no question, story, statement of fact or
    presentation by its grammar (``phrasing.label_problem``: "La patrouille est arrivée à 19 h
    45", "Maire d'une commune de moins de 600 habitants")."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", label)
    if len(words) < 2 or len(label.split()) >= max_words or ANY_PLACEHOLDER.search(label):
        return False
    if len(words) == 2 and not _short_proposal(label):
        return False
    if _STUTTER.search(_fold(label)):  # "Sanctionner sanctionner sanctionner efficacement"
        return False
    if _GLUED.search(label):  # "Sanctionner.tolerance zero": two sentences as one
        return False
    if _NARRATIVE_START.match(label) or _dangling(label.split()[-1]):
        return False
    if _ASIDE.match(label):  # "(exemple : a cause du numérique …)"
        return False
    if len(words) <= 6 and _DATE.search(label):  # a letter's heading: "Yzeure, le 6 janvier 2020"
        return False
    if not content_stems(label):
        return False
    # last, as it parses: no question, story in the past, statement or presentation
    return label_problem(label) is None


def _short_proposal(label: str) -> bool:
    """A proposal of two words: an infinitive and what it acts on or how ("Montrer l'exemple",
    "Sanctionner lourdement"), or a quantity of something ("Plus d'éducation"); not a bare noun
    phrase, which as often states a finding ("Justice laxiste") as it proposes."""
    content = content_stems(label) - {"zero"}  # "Tolérance zéro": one noun
    opening = proposal_opening(label)
    return (opening, len(content)) in (("verb", 2), ("quantity", 1))


def _stem_owners(units: Sequence[Unit]) -> dict[str, set[str]]:
    """Each content word of ``units`` and the contributions that say it."""
    said: dict[str, set[str]] = {}
    for unit in units:
        for stem in word_stems(unit.text):
            said.setdefault(stem, set()).add(unit.contribution_id)
    return said


def _shared(said: dict[str, set[str]], owners: int) -> frozenset[str]:
    """The content words half of a group's ``owners`` contributions say, two at least: what the
    group as a whole is about."""
    enough = max(2, owners / 2)
    return frozenset(stem for stem, who in said.items() if len(who) >= enough)


# Below this many contributions a word's share is a handful of people: it counts as shared or not.
_GRADED_MIN_CONTRIBUTIONS = 30


def stem_shares(units: Sequence[Unit]) -> dict[str, float]:
    """How far the group shares each content word: the contributions saying it over the number
    that makes it shared (half of them, two at least), 1.0 at most. In a group of 30
    contributions or more, a word said by a tenth of it counts a fifth, not nothing as a rare
    one does; in a smaller one, 1 or 0: shared or not."""
    said = _stem_owners(units)
    owners = len({u.contribution_id for u in units})
    enough = max(2, owners / 2)
    graded = owners >= _GRADED_MIN_CONTRIBUTIONS
    return {
        stem: 1.0 if len(who) >= enough else (len(who) / enough if graded else 0.0)
        for stem, who in said.items()
    }


def label_focus(label: str, shares: Mapping[str, float]) -> float:
    """How much of a label its group says: the mean, over its content words (generic ones
    apart), of how far the group shares each (``stem_shares``). 1.0 when the label names what
    the members share and nothing else; "Plus de police, tolérance zéro" over a group where
    everyone says "tolérance zéro" and one in twenty "police" scores 0.7, "La tolérance zéro"
    1.0."""
    words = content_stems(label)
    if not words:
        return 0.0
    return sum(shares.get(w, 0.0) for w in words) / len(words)


def pick_label_source(
    ordered: Sequence[Unit],
    horizon: int,
    shared: Mapping[str, float] | None = None,
    bare_verbs: bool = False,
) -> Unit:
    """The unit a proposal is named after, from its units by closeness to the centre: the first
    prescriptive one within ``horizon`` whose label is pasteable (``pasteable``), else the first
    pasteable one of any kind, else the most central prescriptive one, preferring units without
    a pseudonym (further out if need be); a unit with one is named only when all have one, and
    then cut (``label_from_unit``).

    ``shared``: how far the group shares its words (``stem_shares``); then, within ``horizon``,
    the pasteable prescriptive label with the highest ``label_focus`` is chosen (the most central
    on a tie): the sentence that says the group's words with the fewest other ideas, not
    "Prendre en compte les plaintes des victimes, mettre en œuvre des politiques d'éducation"
    over a group that says "éduquer". Blind readers preferred it 76 to 33 on real answers
    (docs/proposals.md, *Labels that say what the group says*).

    ``bare_verbs``: in a group of 30 contributions or more, a whole answer that is one
    infinitive ("Punir.") is a candidate too (``_bare_verb``): for a proposal, not for a
    sub-proposal, which is there to name what part of a proposal says beyond its verb."""
    head = ordered[:horizon]
    clean_head = [u for u in head if not ANY_PLACEHOLDER.search(u.text)]
    clean = clean_head or [u for u in ordered if not ANY_PLACEHOLDER.search(u.text)]
    wide = [u for u in ordered[: max(horizon, 30)] if not ANY_PLACEHOLDER.search(u.text)]
    if shared:
        # the words the whole group says first; among equals, the label whose other words
        # more of the group says ("Punir plus sévèrement" over "Punir les plus graves")
        whole = {stem: 1.0 for stem, share in shared.items() if share >= 1.0}
        large = (
            bare_verbs and len({u.contribution_id for u in ordered}) >= _GRADED_MIN_CONTRIBUTIONS
        )
        candidates = [
            ((label_focus(label, whole), label_focus(label, shared)), u)
            for u in clean
            if (
                (pasteable(label := label_from_unit(u.text)) and _proposes(u, label))
                or (large and _bare_verb(u.text))
            )
        ]
        if candidates:  # max keeps the first of equals: the most central
            return max(candidates, key=lambda pair: pair[0])[1]
    for pool in (clean, wide):
        good = [u for u in pool if pasteable(label_from_unit(u.text))]
        chosen = next((u for u in good if u.prescriptive), good[0] if good else None)
        if chosen is not None:
            return chosen
    for pool in (clean, head):
        if pool:
            return next((u for u in pool if u.prescriptive), pool[0])
    raise ValueError("a proposal without units")


def _bare_verb(answer: str) -> bool:
    """A whole answer that is one infinitive ("Punir.", "Sanctionner !"): the label of a large
    group that shares that verb and nothing else, in place of one member's "Punir plus
    sévèrement" that three in five of them do not say."""
    word = answer.strip(" \t\n.!…")
    return word.isalpha() and proposal_opening(word) == "verb" and len(content_stems(word)) == 1


def _proposes(unit: Unit, label: str) -> bool:
    """Whether a unit phrases a proposal: a modal, a verb of proposing or an infinitive
    (``Unit.prescriptive``), or a short answer that is a proposal of two words ("Tolérance
    zéro", "Ne pas sanctionner"), "Pas de…" apart: it states a lack as often as it asks for
    none ("Pas de temps")."""
    if unit.prescriptive:
        return True
    return _short_proposal(label) and not label.lower().startswith("pas ")


# Where a label coordinates ideas: "Plus de police, tolérance zéro", "Éduquer et sanctionner".
_COORDINATION = re.compile(r"\s*[,;]\s+(?:et\s+|puis\s+)?|\s+(?:et|puis|ou|mais aussi)\s+", re.I)


def _stands_alone(piece: str, opening: str) -> bool:
    """Whether a conjunct is a proposal of its own, so dropping it leaves the other whole: an
    infinitive ("Éduquer", "Être exemplaires"), a quantity ("moins d'angélisme") or a nominal
    label ("un système de surveillance"); not a noun inside one phrase ("le samedi")."""
    return opening in ("verb", "quantity") or pasteable(piece[:1].upper() + piece[1:])


# Where a label's sentence turns to an aside: "Plus de fermeté notamment dans la lutte contre la
# drogue", "Enseigner l'instruction civique à l'école mais aussi à la TV".
_ASIDE_MARKER = re.compile(
    r"\s*,?\s+(?:et\s+)?(?:notamment|surtout|en particulier|mais aussi|par exemple"
    r"|principalement|particulièrement)\b",
    re.I,
)


def _said_by_few(stems: Set[str], said_by: dict[str, set[str]], owners: int) -> bool:
    """Whether each of ``stems`` is said by fewer than a fifth of the group's ``owners``
    contributions: a sentence's aside, not a part of the group."""
    return all(len(said_by.get(stem, ())) < owners / 5 for stem in stems)


def _without_aside(
    label: str, said_by: dict[str, set[str]], owners: int, shared: frozenset[str]
) -> str:
    """``label`` before its aside, when what comes before is a pasteable label holding words the
    group shares (``shared``) and the aside's content words are said by few (``_said_by_few``:
    one member's example, not a part of the group)."""
    aside = _ASIDE_MARKER.search(label)
    if aside is None or aside.start() == 0:
        return label
    head, tail = label[: aside.start()].strip(" ,;."), label[aside.end() :]
    if not pasteable(head) or not content_stems(head) & shared:
        return label
    if not _said_by_few(content_stems(tail), said_by, owners):
        return label
    return head


def focused_label(label: str, units: Sequence[Unit]) -> str:
    """``label`` cut to the one idea its group's ``units`` share: before an aside few of them
    say ("notamment…", ``_without_aside``); when it coordinates ideas
    ("Être exemplaires et ne rien laisser passer"), each conjunct opening as a proposal does
    (``phrasing.proposal_opening``: not "graduelle et proportionnelle"), and its first or last
    conjunct holds words the group says (half its contributions) while the other conjuncts'
    words are each said by fewer than a fifth of its contributions (the sentence's aside, not a
    part of the group), that conjunct, if it is a pasteable label on its own ("Tolérance zéro"
    is too short). The label stays a piece of its sentence, so its quote still says it
    (docs/proposals.md, *Labels that coordinate two ideas*)."""
    if not (_ASIDE_MARKER.search(label) or _COORDINATION.search(label)):
        return label  # nothing to cut: the group's words are not needed
    said_by = _stem_owners(units)
    owners = len({u.contribution_id for u in units})
    shared = _shared(said_by, owners)
    label = _without_aside(label, said_by, owners, shared)
    cuts = list(_COORDINATION.finditer(label))
    if not cuts:
        return label
    bounds = [0, *(b for c in cuts for b in (c.start(), c.end())), len(label)]
    pieces = [label[bounds[k] : bounds[k + 1]].strip(" ,;.!") for k in range(0, len(bounds), 2)]
    said = [content_stems(p) & shared for p in pieces]
    if not any(said):
        return label
    openings = [proposal_opening(p) for p in pieces]
    if None in openings:
        return label  # one idea said in two words ("graduelle et proportionnelle")
    for k in (0, len(pieces) - 1):
        dropped = frozenset().union(*(content_stems(p) for j, p in enumerate(pieces) if j != k))
        if not said[k] or not _said_by_few(dropped, said_by, owners):
            continue  # the other idea is a fifth of the group's, not the sentence's aside
        if openings[k] != "verb" and "verb" in openings:
            continue  # "expliquer la Loi et les règles": the noun is the verb's object
        others = [(p, o) for j, (p, o) in enumerate(zip(pieces, openings, strict=True)) if j != k]
        if not all(_stands_alone(p, o) for p, o in others):
            continue  # "le jeudi et le samedi", "à un gendarme ou un policier": one phrase
        piece = pieces[k][:1].upper() + pieces[k][1:]
        if pasteable(piece):
            return piece
    return label


def clean_keywords(words: Sequence[str], limit: int = 8) -> list[str]:
    """Keywords without generic words, function words ("faut", "rien", "chaque") and any piece
    of a placeholder ("personne_1", "[personne", "email"): the vectoriser never sees
    placeholders, this is the last guard.

    A keyword that says nothing new is left out: a word paired with itself ("éducation
    education"), one already kept with other accents ("tolerance zéro" after "tolérance
    zéro") or the other way round ("rue caméra" after "caméra rue")."""
    stop = keyword_stop_words()
    out: list[str] = []
    seen: set[frozenset[str]] = set()
    for word in words:
        pieces = re.split(r"[\s_\[\]]+", word.lower())
        if not word or word in GENERIC_WORDS or re.search(r"[\[\]_\d]", word):
            continue
        if any(p in PLACEHOLDER_WORDS or p in stop for p in pieces):
            continue
        folded = [_fold(p) for p in word.split()]
        if (len(folded) == 2 and folded[0] == folded[1]) or frozenset(folded) in seen:
            continue
        seen.add(frozenset(folded))
        out.append(word)
    return out[:limit]


def recurring_words(texts: Sequence[str], min_members: int = 2, limit: int = 30) -> list[str]:
    """A recognised proposal's keywords, in its members' own spelling (``texts``: one a member):
    the words of four letters or more that at least ``min_members`` of them say (all of them
    when fewer), the most said first, without function words (spaCy's French stop words and
    ``KEYWORD_STOP``: the sample's report showed "faut", "soit", "chaque", "ceux")."""
    stop = keyword_stop_words()
    said = Counter(
        word
        for text in texts
        for word in {w.lower() for w in re.findall(r"[^\W\d_]{4,}", ANY_PLACEHOLDER.sub(" ", text))}
        if word not in stop
    )
    enough = min(min_members, len(texts))
    ranked = sorted((w for w, n in said.items() if n >= enough), key=lambda w: (-said[w], w))
    return ranked[:limit]
