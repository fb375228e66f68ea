"""Where a letter or an e-mail names its writer or its reader: its signature, its greeting,
the writer introducing themselves, the shop named after its owner.

NER reads a first name alone on a line poorly ("…si y a un danger.\\nDidier", "Bien
respectueusement,\\nOlivier Tantot\\nConseiller municipal délégué"): there is no sentence around
it. Where it stands tells what it is: a short line of capitalised words that ends a text of
several lines, or that follows "Cordialement,", is its writer's name; so is the word after "je
m'appelle", and a capitalised word after "Bonjour" with a comma is its reader's
(docs/privacy-measures.md, *Signatures*).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

# A line that closes a letter: what follows it is the signature.
CLOSING = re.compile(
    r"^[ \t]*(?:(?:bien |très |trés )?(?:cordialement|respectueusement|amicalement|sincèrement)"
    r"|bien à (?:vous|toi)|amitiés|(?:sincères |meilleures |mes |nos |bien )?salutations\b.*"
    r"|(?:je vous prie d|veuillez|recevez|avec (?:mes|nos|tous mes|toutes mes))\b.*"
    r"|bonne (?:journée|soirée|fin de journée)|à bientôt"
    r"|(?:merci|je vous remercie|en vous remerciant)\b.*)"
    r"[ \t,.!]*$",
    re.I,
)
# A word a signature's name is made of: capitalised ("Océane", "Le Goff") or in capitals
# ("DURAND"), or an initial ("L.").
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Ý][a-zà-öø-ÿ'’-]+|[A-ZÀ-ÖØ-Ý]{2,}|[A-ZÀ-ÖØ-Ý]\.)$")
# Capitalised words that end a letter without being anyone's name.
_NOT_SIGNATURE = frozenset(
    {
        "merci",
        "cordialement",
        "salutations",
        "respectueusement",
        "amicalement",
        "amitiés",
        "bonjour",
        "bonsoir",
        "vive",
        "bravo",
        "courage",
        "ps",
        "nb",
        "signé",
        "signée",
        "anonyme",
        "citoyen",
        "citoyenne",
        "sincèrement",
        "confraternellement",
        "fraternellement",
        "chaleureusement",
        "sportivement",
        "bisous",
        "bises",
        "voilà",
        # a role or a body signing, not a person's name
        "coordinatrice",
        "coordinateur",
        "manager",
        "director",
        "secrétaire",
        "trésorier",
        "trésorière",
        "bénévole",
        "association",
        "collectif",
        "comité",
        "amicale",
        "syndicat",
        "conseil",
        "service",
        "équipe",
        "mairie",
        "commune",
        "ville",
    }
)
_MAX_WORDS = 3
# A line that ends a sentence: a full stop, or an emoji a text message ends on ("…samedi ❤️").
_SENTENCE_END = re.compile(r"(?:[.!?…:]|[\u2600-\u27bf\U0001f300-\U0001faff])\W*$")


def signature_spans(text: str, common: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """The (start, end) of each name signing ``text``: its last line when it stands apart, the
    first line of a short last block, and the line after a closing formula, when that line is
    one to three name words (``_NAME_WORD``), none of them a closing word or a word French uses
    often (``common(word)``: "Police", "France"). A text of one line is never signed this way:
    an answer to a form says no name alone."""
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", text) if m.group(0).strip()]
    if len(lines) < 2:
        return
    signed = {i + 1 for i, (_, line) in enumerate(lines[:-1]) if CLOSING.match(line)}
    # The last line signs when it stands apart from the line before (a blank line or the end of
    # a sentence between them); otherwise it continues a block: "Hélène Deschamps\nMoulins"
    # ends on the writer's town.
    last = len(lines) - 1
    if _blank_before(text, lines, last) or _SENTENCE_END.search(lines[last - 1][1]):
        signed.add(last)
    # The first line of a last block of one to three lines ("Thomas Vial\nCusset")
    first = max((i for i in range(1, len(lines)) if _blank_before(text, lines, i)), default=0)
    if first and last - first < 3:
        signed.add(first)
    for i in sorted(signed):
        start, line = lines[i]
        words = list(re.finditer(r"\S+", line.rstrip(" \t,.")))
        # two signing together: "Jean et Marie Fayet", "Romain & Léa"
        names = [
            w.group(0)
            for k, w in enumerate(words)
            if not (0 < k < len(words) - 1 and w.group(0) in ("et", "&"))
        ]
        if words and 1 <= len(names) <= _MAX_WORDS and all(_is_name_word(n, common) for n in names):
            yield start + words[0].start(), start + words[-1].end()


def _blank_before(text: str, lines: list[tuple[int, str]], i: int) -> bool:
    """Whether a blank line (empty or white space only) stands between line ``i`` and the one before
    (``lines``: the non-blank lines of ``text`` and where each starts)."""
    start, line = lines[i - 1]
    return text.count("\n", start + len(line), lines[i][0]) >= 2


def _is_name_word(word: str, common: Callable[[str], bool]) -> bool:
    if not _NAME_WORD.match(word) or word.lower() in _NOT_SIGNATURE or is_activity(word):
        return False
    return word.endswith(".") or not common(word)


# "Je m'appelle Enzo", "je me prénomme Sarah", "mon nom est Durand", "moi c'est Léa", "Chamo-me
# José".
_INTRODUCED = re.compile(
    r"\b(?P<lead>(?i:je m['’ ]?appelle|je me (?:nomme|prénomme)|mon (?:nom|prénom) (?:est|c['’]est)"
    r"|moi,? c['’]est"
    # a writer introducing themselves in their own language
    r"|chamo-me|o meu nome é|me llamo|mi nombre es|mi chiamo|my name is|ich hei(?:ß|ss)e))[ \t]+"
    r"(?P<name>[^\W\d_][\w'’-]+(?:[ \t]+[^\W\d_][\w'’-]+)?)"
)
# "Bonjour Didier," "Chère Martine !": a greeting naming its reader, at the start of a line.
_GREETED = re.compile(
    r"^[ \t]*(?i:bonjour|bonsoir|salut|coucou|cher|chère)[ \t]+"
    r"(?P<name>[A-ZÀ-ÖØ-Ý][\w'’-]+(?:[ \t]+[A-ZÀ-ÖØ-Ý][\w'’-]+)?)[ \t]*[,!]",
    re.M,
)


def introduction_spans(text: str, common: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """The (start, end) of a name the writer gives as theirs ("Je m'appelle Enzo") or greets
    their reader by ("Bonjour Didier,"), each of its words a name word as in a signature
    ("Bonjour Monsieur," and "Je m'appelle Police" name nobody)."""
    for m in _GREETED.finditer(text):
        if all(_is_name_word(w, common) for w in m.group("name").split()):
            yield m.start("name"), m.end("name")
    # After "je m'appelle" a name may be written in lowercase, as in a text message ("je m
    # appelle jean dupont"): the words up to the first one French uses often ("et", "j'habite").
    # Not after "moi c'est": "pour moi c'est impossible".
    for m in _INTRODUCED.finditer(text):
        in_lowercase = not m.group("lead").lower().startswith("moi")

        def named(word: str, in_lowercase: bool = in_lowercase) -> bool:
            if in_lowercase and word.isalpha() and word.islower():
                return not common(word)
            return _is_name_word(word, common)

        yield from _leading_names(m, named)


def _leading_names(match: re.Match, is_name: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """The span of the words of ``match``'s ``name`` group up to the first that ``is_name``
    refuses ("Enzo et…", "Nadia Coiffure"), if any."""
    words = list(re.finditer(r"\S+", match.group("name")))
    kept = 0
    while kept < len(words) and is_name(words[kept].group(0)):
        kept += 1
    if kept:
        start = match.start("name")
        yield start + words[0].start(), start + words[kept - 1].end()


# A shop or a firm named after its owner: "Pharmacie Chambonnet", "Salon Nadia Coiffure",
# "Quincaillerie Pommerol".
_TRADES = (
    r"Pharmacie|Quincaillerie|Boulangerie|P[âa]tisserie|Boucherie|Charcuterie|[ÉE]picerie"
    r"|Librairie|Droguerie|Mercerie|Garage|Salon|Cabinet|Ambulances|Taxis?|Menuiserie|Plomberie"
    r"|Ma[çc]onnerie|Auto-[ée]cole|Ferme|Domaine|Auberge|Restaurant|Brasserie|Caf[ée]|Bar|Tabac"
    r"|Optique|Ets\.?|[ÉE]tablissements|SARL|EURL|SAS"
)
_TRADE = re.compile(
    rf"\b(?:{_TRADES})[ \t]+"
    r"(?P<name>[A-ZÀ-ÖØ-Ý][\w'’-]+(?:[ \t]+[A-ZÀ-ÖØ-Ý][\w'’-]+)?)"
)

# What a shop's name says it does, after its trade or its owner's name: no name
# ("Plomberie Chauffage", "SARL Roux Plomberie", "Salon Nadia Coiffure").
_ACTIVITY = re.compile(
    rf"^(?:{_TRADES}|Chauffage|Coiffure|[ÉE]lectricit[ée]|Couverture|Services?|Immobilier"
    r"|Automobiles?|Transports?|Paysages?|B[âa]timent|R[ée]novation|Sanitaires?|Fr[èe]res|Fils)$",
    re.I,
)


def is_activity(word: str) -> bool:
    """A word of a shop's name that says what it does ("Boulangerie", "Coiffure"), no name."""
    return bool(_ACTIVITY.match(word))


def trade_name_spans(text: str, common: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    """The (start, end) of the owner's name in a shop's or a firm's name: the name words after
    a trade ("Pharmacie Chambonnet"), up to the first word French uses often ("Pharmacie
    Centrale" names nobody, nor what the shop does: "Salon Nadia Coiffure"). A brand goes
    with it ("Garage Renault"): a placeholder costs a synthesis little, a shopkeeper's name
    would not be ours to publish."""
    for m in _TRADE.finditer(text):
        yield from _leading_names(m, lambda word: _is_name_word(word, common))
