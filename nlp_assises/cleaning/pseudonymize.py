"""Pseudonymisation (RGPD): e-mails, phone numbers, postal addresses and person names become stable
placeholders ([EMAIL_1], [TEL_1], [ADRESSE_1], [PERSONNE_1]) in the cleaned text.

Rules find what has a shape (e-mails, French phone numbers, street addresses, a title followed by a
name); spaCy's French NER finds the other names. The same surface form gets the same placeholder
within a contribution. What was replaced is in the repairs, which only admins may read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp_assises.cleaning.repairs import Repair

PLACEHOLDER = re.compile(r"\[(?:PERSONNE|EMAIL|TEL|ADRESSE|URL)_\d+\]")

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
)
_STREET = (
    r"(?:rue|avenue|av\.|boulevard|bd|place|impasse|all[ée]e|chemin|route|quai|cours|square"
    r"|lotissement|r[ée]sidence|lieu-dit|hameau|faubourg|passage|cit[ée])"
)
ADDRESS = re.compile(
    rf"\b\d{{1,4}}(?:\s?(?:bis|ter|[a-c]))?,?\s+{_STREET}\s+[^\n,;()]{{2,50}}?"
    r"(?=\s*(?:[,;()\n]|$|\s\d{5}\b))"
    r"(?:,?\s*\d{5}\s+[A-ZÉÈ][\w'’-]+(?:[\s-][A-ZÉÈ][\w'’-]+)*(?:\s+cedex)?)?"
    r"|\b(?:CS|BP)\s?\d{3,6}\b"
    r"|\b\d{5}\s+[A-ZÉÈ][A-ZÉÈ'’-]{2,}(?:[\s-][A-ZÉÈ'’-]{2,})*(?:\s+CEDEX)?\b",
    re.I | re.M,
)
_TITLE = (
    r"(?:M\.|Mme|Mlle|Mr|Monsieur|Madame|Mademoiselle|Me|Ma[îi]tre|Dr|Docteur|Pr"
    r"|(?:l['’]|le |la )?(?:gendarme|brigadier(?:-chef)?|adjudant(?:-chef)?|major|lieutenant"
    r"|capitaine|commandant|colonel|commissaire|sergent|mar[ée]chal des logis(?:-chef)?"
    r"|g[ée]n[ée]ral|policier|polici[èe]re|agent|maire|adjoint|adjointe))"
)
_NAME = r"[A-ZÉÈÎÏÔ][\w’'-]+(?:\s+(?:de\s+|d['’]|du\s+|le\s+)?[A-ZÉÈÎÏÔ][\w’'-]+){0,2}"
TITLED_NAME = re.compile(rf"\b{_TITLE}\s+(?P<name>{_NAME})")
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
        "présidente",
        "préfecture",
    }
)

_ELIDED = re.compile(r"^[dlDL]['’]")
_SENTENCE = re.compile(r"[^\n.!?…]+[.!?…]*")
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
        spans = [_Span(m.start(), m.end(), "EMAIL") for m in EMAIL.finditer(text)]
        spans += [_Span(m.start(), m.end(), "TEL") for m in PHONE.finditer(text)]
        spans += [_Span(m.start(), m.end(), "ADRESSE") for m in ADDRESS.finditer(text)]
        for m in TITLED_NAME.finditer(text):
            name = m.group("name")
            if name.split()[0].lower() in _NOT_NAMES:
                continue
            spans.append(_Span(m.start("name"), m.end("name"), "PERSONNE"))
        return spans

    def candidate_spans(self, text: str) -> list[tuple[int, int]]:
        """The stretches of text where a name can be: ``context`` words on each side of a
        capitalised word (inside a sentence, or opening it when it is not a common French word;
        greetings and titles alone do not count), within its sentence. NER reads these only:
        a fifth less text than whole sentences, for the same names (spaCy's NER looks a few
        words around each word; docs/service.md has the figures)."""
        out = []
        for sentence in _SENTENCE.finditer(text):
            words = list(_WORD.finditer(sentence.group(0)))
            stretches: list[list[int]] = []
            for position, match in enumerate(words):
                word = _ELIDED.sub("", match.group(0))  # "d'Harcourt" reads as "Harcourt"
                if not word[:1].isupper():
                    continue
                if len(word) > 1 and word.lower() in _TRIGGERS_NOT:  # "M." may be an initial
                    continue
                if position == 0 and self._common(word):
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

    def _common(self, word: str) -> bool:
        if self._lexicon is None:
            from nlp_assises.cleaning.lexicon import Lexicon

            self._lexicon = Lexicon("fr")
        return self._lexicon.logprob(word.lower()) >= -5.5

    def ner_spans(self, texts: list[str], batch_size: int = 64) -> list[list[_Span]]:
        """Person names found by spaCy in the candidate stretches of each text."""
        if self.nlp is None:
            return [[] for _ in texts]
        pieces = [
            (i, start, end)
            for i, text in enumerate(texts)
            for start, end in self.candidate_spans(text)
        ]
        spans: list[list[_Span]] = [[] for _ in texts]
        sentences = (texts[i][start:end] for i, start, end in pieces)
        for (i, start, _), doc in zip(
            pieces, self.nlp.pipe(sentences, batch_size=batch_size), strict=True
        ):
            spans[i] += [
                _Span(s.start + start, s.end + start, s.kind) for s in self._ner_spans(doc)
            ]
        return spans

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
            words = [t.text for t in tokens]
            if not any(w[:1].isupper() for w in words):
                continue
            if all(w.lower().strip(".,") in _TRIGGERS_NOT for w in words):
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
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
            if chosen and span.start < chosen[-1].end:
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
