"""Pseudonymisation (RGPD): e-mails, phone numbers, postal addresses, number plates, social
security numbers and person names become stable placeholders ([EMAIL_1], [TEL_1], [ADRESSE_1],
[IMMAT_1], [NIR_1], [PERSONNE_1]) in the cleaned text.

Rules find what has a shape (``shapes.py``: e-mails, French phone numbers, street addresses,
plates, social security numbers), a title followed by a name, initials and a surname signing a
letter, names by where they stand (``signatures.py``) and names written without their
capitals (``uncased_names.py``); spaCy's French NER finds the other names, and its
tagger vetoes the capitalised verbs and common words NER takes for names in real answers ("Sévir",
"Tolérance ZERO"). The same surface form gets the same placeholder within a contribution. What was
replaced is in the repairs, which only admins may read. What counts as personal data, and the
measured precision and recall: docs/privacy-measures.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from nlp_assises.cleaning.repairs import Repair
from nlp_assises.cleaning.shapes import SHAPES, shaped_spans
from nlp_assises.cleaning.signatures import (
    introduction_spans,
    is_activity,
    signature_spans,
    trade_name_spans,
)
from nlp_assises.cleaning.uncased_names import RANKS, uncased_name_spans

# The kinds of placeholder the pseudonymiser writes: a name, each shape's, a link.
PLACEHOLDER_KINDS = ("PERSONNE", *dict.fromkeys(kind for _, kind in SHAPES), "URL")
PLACEHOLDER = re.compile(rf"\[(?:{'|'.join(PLACEHOLDER_KINDS)})_\d+\]")
# Any placeholder shape ("[TELEPHONE_2]" too): what labels and keywords must never show.
ANY_PLACEHOLDER = re.compile(r"\[[A-ZÉ]+_\d+\]")
PLACEHOLDER_WORDS = frozenset({kind.lower() for kind in PLACEHOLDER_KINDS} | {"telephone"})

_RANKS = (*RANKS, "mar[ée]chal des logis(?:-chef)?", "g[ée]n[ée]ral")
# A rank is a title when a determiner leads it ("le major Durand") or it is capitalised
# ("Capitaine Morel"); bare, it is often a word of the sentence ("d'intérêt général Former").
_RANK = (
    r"(?:(?:[lL]['’]|(?:[lL][ea]|[mM][oa]n|[nNvV]otre|[dD]u|[aA]u|[uU]ne?|[cC]e|[cC]ette)\s)"
    rf"(?:{'|'.join(_RANKS)})|(?:{'|'.join(r[0].upper() + r[1:] for r in _RANKS)}))"
)
_TITLE = rf"(?:M\.|Mme|Mlle|Mr|Monsieur|Madame|Mademoiselle|Me|Ma[îi]tre|Dr|Docteur|Pr|{_RANK})"
# Neither a name nor the city of an address runs over a line break ("Le Maire\nSaint-Yorre",
# "03400 Yzeure\nflorence.g@…" once hid the e-mail behind an address).
_NAME = (
    r"[A-ZÉÈÎÏÔ][\w’'-]+"
    r"(?:[ \t]+(?:de[ \t]+|d['’]|du[ \t]+|le[ \t]+)?[A-ZÉÈÎÏÔ][\w’'-]+){0,2}"
)
TITLED_NAME = re.compile(rf"\b{_TITLE}[ \t]+(?P<name>{_NAME})")
# A signature line of initials and a surname: "J. Ferrer", "J.-P. Mathonat, pharmacien",
# "Dr P. Dunand". NER reads "J." as a sentence of its own and misses the name.
SIGNED_INITIALS = re.compile(
    r"^[ \t]*(?:(?:Me|Dr|Pr|Mme|M\.)[ \t]+)?"
    r"(?P<name>[A-ZÉ]\.(?:[ \t]?-?[A-ZÉ]\.)?[ \t]?(?:(?:Le|La|De|Du|Van|Von)[ \t]+)?"
    r"(?P<surname>[A-ZÉÈ][\w’'-]{2,}))[ \t]*(?:,[^\n]*)?$",
    re.M,
)
# Words a title may be followed by that are not names.
_NOT_NAMES = {
    "le",
    "la",
    "les",
    "préfet",
    "prefet",
    "maire",
    "ministre",
    "président",
    "directeur",
    "commissaire",
    "commandant",
    "colonel",
    "capitaine",
    "major",
    "lieutenant",
    "gendarme",
    "police",
    "gendarmerie",
    "préfète",
    "sous-préfet",
    "député",
    "sénateur",
    "procureur",
}


_LEADING_NOISE = {
    "bonjour",
    "bonsoir",
    "salut",
    "cher",
    "chère",
    "chers",
    "monsieur",
    "madame",
    "mademoiselle",
    "m",
    "mme",
    "mlle",
    "mr",
    "messieurs",
    "mesdames",
    "dr",
    "docteur",
    "me",
    "maître",
    "le",
    "la",
    "l'",
    "cordialement",
    "merci",
}


# Capitalised words that are never a name themselves: alone they send nothing to NER.
_TRIGGERS_NOT = (
    _NOT_NAMES
    | _LEADING_NOISE
    | {
        "salutations",
        "respectueusement",
        "sportivement",
        "amicalement",
        "veuillez",
        "confer",  # "Confer ci-dessus": a pointer to another answer
        "présidente",
        "préfecture",
    }
)

# Tags of words that are never a name on their own ("Et", "de la").
_FUNCTION_POS = {"ADP", "AUX", "CCONJ", "DET", "PRON", "SCONJ", "PUNCT", "PART"}
# A word the tagger calls a noun is a common noun when French uses it this often ("lois" -4.2,
# "gendarmes" -5.0); given names and surnames the tagger calls nouns are rarer ("Sandrine" -5.5,
# "Maxence" -5.9, "Vandamme" -6.7). Chosen on the tune half of the labels (bench/pseudonyms.py).
_COMMON_NOUN_LOGPROB = -5.3
# A signature's word this frequent in French is no name (``_signature_common``).
_SIGNATURE_COMMON_LOGPROB = -3.5
# A word of a shop's name this frequent is no owner's name (``_trade_common``).
_TRADE_COMMON_LOGPROB = -4.5
_LETTER = re.compile(r"[^\W\d_]")
_ELIDED = re.compile(r"^[dlDL]['’]")
_SENTENCE = re.compile(r"[^\n.!?…]+[.!?…]*")
_SENTENCE_END = re.compile(r"[\n.!?…]")
# Small words a name may hold between its capitalised words ("Jean de La Fontaine"), and the
# hyphen spaCy cuts a compound first name on ("Marc-Antoine").
_PARTICLES = frozenset({"de", "du", "des", "d'", "d’", "le", "la", "van", "von", "-"})
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@dataclass
class _Span:
    start: int
    end: int
    kind: str


class Pseudonymizer:
    """Replaces personal data by placeholders; ``nlp`` is a loaded spaCy pipeline with NER, or
    None for rules only."""

    def __init__(self, nlp=None, *, context: int = 10) -> None:
        self.nlp = nlp
        self.context = context
        self._lexicon = None

    def _rule_spans(self, text: str) -> list[_Span]:
        spans = [_Span(start, end, kind) for start, end, kind in shaped_spans(text)]
        for m in TITLED_NAME.finditer(text):
            name = m.group("name")
            if name.split()[0].lower() in _NOT_NAMES:
                continue
            spans.append(_Span(m.start("name"), m.end("name"), "PERSONNE"))
        for found in (signature_spans, introduction_spans):
            spans += [_Span(s, e, "PERSONNE") for s, e in found(text, self._signature_common)]
        spans += [_Span(s, e, "PERSONNE") for s, e in trade_name_spans(text, self._trade_common)]
        spans += [
            _Span(s, e, "PERSONNE") for s, e in uncased_name_spans(text, self.lexicon.logprob)
        ]
        for m in SIGNED_INITIALS.finditer(text):
            # "A. Prévention" is a heading, unless it ends the text: "Merci\nC. Ballet".
            if not text[m.end() :].strip() or not self._frequent(m.group("surname")):
                spans.append(_Span(m.start("name"), m.end("name"), "PERSONNE"))
        return spans

    def candidate_spans(self, text: str) -> list[tuple[int, int]]:
        """The stretches of text where a name can be: ``context`` words on each side of a
        capitalised word (inside a sentence, or opening it when it is not a common French word;
        greetings and titles alone do not count), within its sentence. NER reads these only:
        a fifth less text than whole sentences, for the same names (spaCy's NER looks a few
        words around each word; docs/service.md has the figures)."""
        out = []
        lines = "\n" in text
        for sentence in _SENTENCE.finditer(text):
            words = list(_WORD.finditer(sentence.group(0)))
            stretches: list[list[int]] = []
            # A short line of its own in a text of several lines is a signature more often than
            # a sentence: "Julie", "Léo, 21 ans" open it, however common the word.
            signature = (
                lines and len(words) <= 3 and self._own_line(text, sentence.start(), sentence.end())
            )
            for position, match in enumerate(words):
                word = _ELIDED.sub("", match.group(0))  # "d'Harcourt" reads as "Harcourt"
                if not word[:1].isupper():
                    continue
                if len(word) > 1 and word.lower() in _TRIGGERS_NOT:  # "M." may be an initial
                    continue
                if position == 0 and not signature and self._common(word):
                    continue
                first = max(0, position - self.context)
                last = min(len(words) - 1, position + self.context)
                if stretches and first <= stretches[-1][1] + 1:
                    stretches[-1][1] = last
                else:
                    stretches.append([first, last])
            base, length = sentence.start(), len(sentence.group(0))
            for first, last in stretches:
                start = words[first].start() if first > 0 else 0
                end = words[last].end() if last < len(words) - 1 else length
                out.append((base + start, base + end))
        return out

    @staticmethod
    def _own_line(text: str, start: int, end: int) -> bool:
        """``text[start:end]`` fills a line (spaces aside)."""
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        while end < len(text) and text[end] in " \t":
            end += 1
        return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")

    @property
    def lexicon(self):
        if self._lexicon is None:
            from nlp_assises.cleaning.lexicon import Lexicon

            self._lexicon = Lexicon("fr")
        return self._lexicon

    def _signature_common(self, word: str) -> bool:
        """A word that signs no letter: a title or a greeting, or a word French uses as often
        as "Paris" or "France" (first names are rarer: "Jean" -3.5, "Marie" -4.0)."""
        return self._title_or_as_frequent(word, _SIGNATURE_COMMON_LOGPROB)

    def _trade_common(self, word: str) -> bool:
        """A word of a shop's name that names no owner: as frequent as "Centrale" (-4.2) or
        "Gare" (-4.4); given names and surnames are rarer ("Julie" -4.7, "Chambonnet" -7.7),
        though "Martin" (-4.2) and "Paul" (-4.0) pass for common words."""
        return self._title_or_as_frequent(word, _TRADE_COMMON_LOGPROB)

    def _title_or_as_frequent(self, word: str, logprob: float) -> bool:
        folded = word.lower().strip(".,")
        return folded in _TRIGGERS_NOT or self.lexicon.logprob(folded) >= logprob

    def _common(self, word: str) -> bool:
        return self.lexicon.logprob(word.lower()) >= -5.5

    def ner_spans(self, texts: list[str], batch_size: int = 64) -> list[list[_Span]]:
        """Person names found by spaCy in the candidate stretches of each text; a name made
        only of words that could be common ones goes past the tagger (``_tagged_as_name``)."""
        if self.nlp is None:
            return [[] for _ in texts]
        pieces = [
            (i, start, end)
            for i, text in enumerate(texts)
            for start, end in self.candidate_spans(text)
        ]
        spans: list[list[_Span]] = [[] for _ in texts]
        sentences = (texts[i][start:end] for i, start, end in pieces)
        doubtful = []  # stretches with a name made of common words: the tagger reads only these
        for (i, start, _), doc in zip(
            pieces, self.nlp.pipe(sentences, batch_size=batch_size), strict=True
        ):
            found = self._ner_spans(doc)
            sure = [s for s in found if not self._may_be_common(doc, s)]
            spans[i] += [_Span(s.start + start, s.end + start, s.kind) for s in sure]
            if len(sure) < len(found):
                doubtful.append((i, start, doc.text, [s for s in found if s not in sure]))
        tagged = self.tagger.pipe((text for _, _, text, _ in doubtful), batch_size=batch_size)
        for (i, start, _, found), doc in zip(doubtful, tagged, strict=True):
            spans[i] += [
                _Span(s.start + start, s.end + start, s.kind)
                for s in found
                if self._tagged_as_name(doc, s)
            ]
        for text, found in zip(texts, spans, strict=True):
            found[:] = [s for s in found if not self._misspelt_opening(text, s)]
            found.sort(key=lambda s: s.start)
        return spans

    def _misspelt_opening(self, text: str, span: _Span) -> bool:
        """A misspelt word opening a sentence, which NER takes for a name ("Orgaiser un
        service civique", "Ultiliser une partie", "Actuellemùent"): one word wordfreq has never
        seen, one slip (two for longer words) from a frequent French word. Names citizens write
        are mostly known to wordfreq ("Chaumette", "Vandamme"), and the rare unknown ones are
        seldom that close to a frequent word ("Mathonat")."""
        word = text[span.start : span.end]
        if not word.isalpha() or self.lexicon.knows(word):
            return False
        before = _SENTENCE_END.split(text[: span.start])[-1]
        if _LETTER.search(before):
            return False
        slips = 1 if len(word) < 7 else 2
        return self.lexicon.near_frequent(word, slips, _COMMON_NOUN_LOGPROB) is not None

    def _may_be_common(self, doc, span: _Span) -> bool:
        """Whether every word of ``span`` could be a common word (an infinitive, a frequent
        word, or two letters at most): only then can the tagger's reading change the verdict
        (``_tagged_as_name``), and only then is it asked. Most names have a rare word."""
        return all(
            len(_LETTER.findall(t.text)) <= 2 or self._infinitive(t.text) or self._frequent(t.text)
            for t in doc
            if span.start <= t.idx < span.end and _LETTER.search(t.text)
        )

    @cached_property
    def tagger(self):
        """The same spaCy model's part-of-speech tagger, on the NER pipeline's vocabulary and
        vectors: loaded apart it would hold a second copy of them (+225 MB resident, for under
        1 MB this way; same tags)."""
        import spacy

        return spacy.load(
            f"{self.nlp.meta['lang']}_{self.nlp.meta['name']}",
            vocab=self.nlp.vocab,
            exclude=["vocab", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"],
        )

    def _tagged_as_name(self, doc, span: _Span) -> bool:
        """False for capitalised verbs and common words NER took for a name ("Sévir.",
        "Tolérance ZERO", "Sanctionner plus Imposer des travaux" where a line break was lost):
        every word of it is an infinitive, a function word, or a common French word (frequent
        in the lexicon) the tagger does not read as a proper noun. Rarer words the tagger
        calls nouns stay names: "Maxence", "Vandamme" are nouns to it too."""
        tokens = [t for t in doc if span.start <= t.idx < span.end and _LETTER.search(t.text)]
        return not all(
            self._infinitive(t.text)
            or t.pos_ in _FUNCTION_POS
            or (self._read_as_common(t) and self._frequent(t.text))
            for t in tokens
        )

    @staticmethod
    def _read_as_common(token) -> bool:
        """Not a proper noun to the tagger; a word in capitals it cannot read ("ZERO" is "X")
        counts as common when the lexicon knows it well."""
        return token.pos_ != "PROPN" and (token.pos_ != "X" or token.text.isupper())

    def _frequent(self, word: str) -> bool:
        return self.lexicon.logprob(word.lower()) >= _COMMON_NOUN_LOGPROB

    def _infinitive(self, word: str) -> bool:
        """A first- or second-group infinitive whose other forms French knows ("légiférer":
        "légiféré", "légiférée"; "sévir": "sévissent", "sévissait"). Names ending so
        ("Roger", "Didier", "Olivier", "Samir", "Nadir") have no such forms."""
        word = word.lower()
        endings = {"er": ("é", "ée", "és"), "ir": ("issent", "issait")}.get(word[-2:])
        if endings is None or len(word) < 5:
            return False
        return sum(self.lexicon.knows(word[:-2] + e) for e in endings) >= 2

    def _ner_spans(self, doc) -> list[_Span]:
        spans = []
        for ent in doc.ents:
            if ent.label_ != "PER":
                continue
            tokens = list(ent)
            # NER often swallows the greeting or the title: "Bonjour Monsieur le Préfet".
            while tokens and tokens[0].text.lower().strip(".,") in _LEADING_NOISE:
                tokens = tokens[1:]
            if not tokens:
                continue
            for run in _capitalised_runs(tokens):
                # "Boulangerie Mazuel", "Inès Coiffure": the shop's trade is no name
                while run and is_activity(run[0].text):
                    run = run[1:]
                while run and is_activity(run[-1].text):
                    run = run[:-1]
                if not run:
                    continue
                words = [t.text for t in run]
                if all(w.lower().strip(".,") in _TRIGGERS_NOT for w in words):
                    continue
                start, end = run[0].idx, run[-1].idx + len(run[-1].text)
                if PLACEHOLDER.search(doc.text[start:end]) or doc.text[start:end].startswith("["):
                    continue
                spans.append(_Span(start, end, "PERSONNE"))
        return spans

    def pseudonymize(self, text: str, names: list[_Span] | None = None) -> tuple[str, list[Repair]]:
        """``names``: the NER spans of ``text`` when already computed (see ``ner_spans``)."""
        spans = self._rule_spans(text)
        spans += names if names is not None else self.ner_spans([text])[0]
        protected = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
        # Longest first, then drop overlaps and anything inside an existing placeholder.
        spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
        chosen: list[_Span] = []
        for span in spans:
            if any(span.start < e and s < span.end for s, e in protected):
                continue
            if chosen and span.start < chosen[-1].end:  # overlapping: one span, nothing left out
                chosen[-1] = _Span(chosen[-1].start, max(chosen[-1].end, span.end), chosen[-1].kind)
                continue
            chosen.append(span)
        if not chosen:
            return text, []
        numbers: dict[tuple[str, str], str] = {}
        counters: dict[str, int] = {}
        for existing in PLACEHOLDER.finditer(
            text
        ):  # keep numbering past placeholders already there
            kind, number = existing.group(0)[1:-1].rsplit("_", 1)
            counters[kind] = max(counters.get(kind, 0), int(number))
        pieces, repairs, last = [], [], 0
        for span in chosen:
            surface = text[span.start : span.end]
            key = (span.kind, surface.lower())
            if key not in numbers:
                counters[span.kind] = counters.get(span.kind, 0) + 1
                numbers[key] = f"[{span.kind}_{counters[span.kind]}]"
            placeholder = numbers[key]
            pieces.append(text[last : span.start])
            pieces.append(placeholder)
            repairs.append(Repair("pseudonym", surface, placeholder, span.start))
            last = span.end
        pieces.append(text[last:])
        return "".join(pieces), repairs


def _capitalised_runs(tokens) -> list[list]:
    """The runs of capitalised words of an entity, name particles kept between two of them
    ("Jean de La Fontaine"): a name is written with capitals, so a lowercase word NER swept in
    is not part of it. "Révolutionné police'justice Travaux d intérêt général Amende", a whole
    answer NER read as one person, is three words apart, each judged on its own."""
    runs: list[list] = []
    run: list = []
    particles: list = []
    for token in tokens:
        if token.text[:1].isupper():
            run += [*particles, token]
            particles = []
        elif run and token.text.lower() in _PARTICLES:
            particles.append(token)
        else:
            if run:
                runs.append(run)
            run, particles = [], []
    if run:
        runs.append(run)
    return runs
