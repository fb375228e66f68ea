"""The one privacy policy: what each role may see of a contribution, its repairs and any text
that leaves the library (API answers, pages, reports, notebook frames, job results, logs).

Roles are ordered: no key < ``portal`` < ``writer`` < ``admin``. Only an admin sees personal data
(originals, what pseudonymisation replaced). Below admin:

- a pseudonym repair shows its placeholder, never its ``before``;
- a removed block (signature, quoted reply, forwarded header, disclaimer, "envoyé de") and a
  whole-text repair (``html``, ``invalid_unicode``) keep their kind, start and length only: their
  content is the raw message, personal data included;
- an in-text repair (mojibake, PDF accent, hyphenation, spacing...) shows its ``before`` and
  ``after`` only when neither holds a piece of that contribution's personal values (the
  ``before`` of its pseudonym repairs and their words) nor anything the rule-based detectors find
  (e-mail, phone, postal address, number plate, titled name, URL, IBAN, social security
  number): "HÃ©lÃ¨ne" → "Hélène" inside "Hélène Dupont" is withheld;
- texts (cleaned text, quotes, labels, keywords) have any left-over occurrence of the
  contribution's personal values replaced by their placeholder, and derived texts whose
  contribution is unknown (labels, keywords, job errors, log lines) have what the rules find
  replaced.

Every outgoing path calls these functions: keep no copy of the rule elsewhere.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from nlp_assises.cleaning.pseudonymize import TITLED_NAME
from nlp_assises.cleaning.shapes import ADDRESS, SHAPES

ADMIN = "admin"
# Repairs that change a few characters inside the text a reader sees.
IN_TEXT_KINDS = frozenset(
    {"mojibake", "pdf_accent", "invisible_char", "hyphenation", "line_break", "whitespace", "space"}
)
# Anything else (removed blocks, whole-text repairs, kinds added later) is withheld below admin.
URL = re.compile(r"\b(?:https?://|www\.)\S+|\bmailto:\S+", re.I)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (URL, "[URL]"),
    (IBAN, "[IBAN]"),
    *((pattern, f"[{kind}]") for pattern, kind in SHAPES),
)
# Contact details in a cleaned text: pseudonymisation replaced them, unless another rule's
# match swallowed part of one ("[ADRESSE_1].bonnefoy03@gmail.com"); its other rules ran already.
_TEXT_RULES = tuple(rule for rule in _RULES if rule[0] not in (URL, ADDRESS))
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_MIN_PIECE = 3  # shorter words ("de", "é") are in everything


def sees_personal_data(role: str | None) -> bool:
    """Only an admin key sees originals and what pseudonymisation replaced."""
    return role == ADMIN


def _fold(text: str) -> str:
    """Case and accents folded, so "HÉLÈNE" and "Helene" meet "Hélène"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def rule_findings(text: str) -> bool:
    """Whether the rule-based detectors find personal data in ``text``."""
    if not text:
        return False
    return any(p.search(text) for p, _ in _RULES) or any(
        True for m in TITLED_NAME.finditer(text) if m.group("name")
    )


def scrub_rules(text: str) -> str:
    """``text`` with what the rule-based detectors find replaced (URL, e-mail, IBAN, phone,
    address, number plate, social security number): for texts with no contribution to take
    personal values from."""
    if not text:
        return text
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text


@dataclass
class PersonalValues:
    """A contribution's personal values, read from its pseudonym repairs: each surface form with
    its placeholder, and the words of the names."""

    surfaces: dict[str, str] = field(default_factory=dict)  # surface form -> placeholder
    words: dict[str, str] = field(default_factory=dict)  # a name's word -> placeholder
    _folded: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, repairs: Iterable[dict] | None) -> PersonalValues:
        values = cls()
        for r in repairs or []:
            if r.get("kind") != "pseudonym" or not r.get("before"):
                continue
            before, placeholder = r["before"], r.get("after") or "[PERSONNE]"
            values.surfaces.setdefault(before, placeholder)
            values._folded.append(_fold(before))
            for word in _WORD.findall(before):
                if len(word) >= _MIN_PIECE:
                    values.words.setdefault(word, placeholder)
                    values._folded.append(_fold(word))
        return values

    def __bool__(self) -> bool:
        return bool(self.surfaces)

    def touches(self, text: str | None) -> bool:
        """Whether ``text`` holds a personal value, one of its words, or a piece of one (a
        repair may cover part of a name: "élène")."""
        if not text or not self._folded:
            return False
        folded = _fold(text)
        if any(value in folded for value in self._folded):
            return True
        pieces = [_fold(w) for w in _WORD.findall(text) if len(w) >= _MIN_PIECE]
        return any(piece in value for piece in pieces for value in self._folded)

    def scrub(self, text: str) -> str:
        """``text`` with each left-over occurrence of a personal value (or a name's word, as a
        whole capitalised word) replaced by its placeholder, and any contact detail left."""
        if not text:
            return text
        for pattern, placeholder in _TEXT_RULES:
            text = pattern.sub(placeholder, text)
        for surface in sorted(self.surfaces, key=len, reverse=True):
            pattern = re.compile(rf"(?<!\w){re.escape(surface)}(?!\w)", re.I)
            text = pattern.sub(lambda _m, s=surface: self.surfaces[s], text)
        for word, placeholder in self.words.items():
            if not word[:1].isupper():
                continue
            pattern = re.compile(rf"(?<![\w\[]){re.escape(word)}(?![\w\]])")
            text = pattern.sub(lambda _m, p=placeholder: p, text)
        return text


def _withheld(repair: dict, reason: str) -> dict:
    before = repair.get("before") or ""
    return {
        "kind": repair.get("kind"),
        "before": None,
        "after": None if repair.get("after") else repair.get("after"),
        "start": repair.get("start") or 0,
        "length": len(before),
        "withheld": reason,
    }


def repair_view(repair: dict, role: str | None, personal: PersonalValues) -> dict:
    """One repair as ``role`` may see it (see the module's rule)."""
    if sees_personal_data(role):
        return dict(repair)
    kind = repair.get("kind")
    if kind == "pseudonym":
        before = repair.get("before") or ""
        return {**repair, "before": None, "length": len(before), "withheld": "personal"}
    if kind not in IN_TEXT_KINDS:
        return _withheld(repair, "block")
    before, after = repair.get("before") or "", repair.get("after") or ""
    if personal.touches(before) or personal.touches(after):
        return _withheld(repair, "personal")
    if rule_findings(before) or rule_findings(after):
        return _withheld(repair, "personal")
    return dict(repair)


def repairs_view(repairs: Sequence[dict] | None, role: str | None) -> list[dict]:
    """A contribution's repair list as ``role`` may see it."""
    repairs = list(repairs or [])
    if sees_personal_data(role):
        return [dict(r) for r in repairs]
    personal = PersonalValues.of(repairs)
    return [repair_view(r, role, personal) for r in repairs]


def text_view(text: str, repairs: Sequence[dict] | None, role: str | None) -> str:
    """A cleaned text (or a piece of it) of a contribution as ``role`` may see it."""
    if sees_personal_data(role) or not text:
        return text
    return PersonalValues.of(repairs).scrub(text)


def derived_text(text: str | None, role: str | None) -> str | None:
    """A text made from many contributions (a label, a keyword, a job's error) as ``role`` may
    see it."""
    if text is None or sees_personal_data(role):
        return text
    return scrub_rules(text)


def quotes_view(quotes: Sequence[dict] | None, role: str | None, repairs_of) -> list[dict]:
    """A proposal's quotes as ``role`` may see them. ``repairs_of(ids)`` gives the repairs of
    the quoted contributions (``{id: repairs}``)."""
    quotes = [dict(q) for q in quotes or []]
    if sees_personal_data(role) or not quotes:
        return quotes
    known = repairs_of(sorted({q.get("contribution_id") for q in quotes}))
    for q in quotes:
        values = PersonalValues.of(known.get(q.get("contribution_id")))
        q["text"] = scrub_rules(values.scrub(q.get("text") or ""))
    return quotes


def store_repairs(store):
    """``repairs_of`` for :func:`quotes_view`, reading the store."""

    def repairs_of(ids: Sequence[str]) -> dict[str, list]:
        return {c.id: list(c.repairs or []) for c in store.contributions(list(ids))}

    return repairs_of


# What a proposal shows: every reader of the store (API, pages, frames) lists these fields.
CLUSTER_FIELDS = (
    "id",
    "theme",
    "label",
    "keywords",
    "size",
    "people",
    "campaign_copies",
    "share",
    "first_date",
    "last_date",
    "quotes",
    "sub_proposals",
)


def cluster_view(cluster, role: str | None, repairs_of) -> dict:
    """A proposal (a store row or a dict) as ``role`` may see it: label, keywords, quotes."""
    get = cluster.get if isinstance(cluster, dict) else lambda k, d=None: getattr(cluster, k, d)
    out = {k: get(k) for k in CLUSTER_FIELDS}
    out["label"] = derived_text(out["label"] or "", role)
    out["keywords"] = [derived_text(k, role) for k in out["keywords"] or []]
    out["quotes"] = quotes_view(out["quotes"], role, repairs_of)
    out["sub_proposals"] = [
        {
            **sub,
            "label": derived_text(sub.get("label") or "", role),
            "keywords": [derived_text(k, role) for k in sub.get("keywords") or []],
            "quotes": quotes_view(sub.get("quotes"), role, repairs_of),
        }
        for sub in out["sub_proposals"] or []
    ]
    return out


def _quoted_ids(cluster) -> set[str]:
    """The contributions a proposal quotes, its sub-proposals' quotes included."""
    get = cluster.get if isinstance(cluster, dict) else lambda k: getattr(cluster, k, None)
    quotes = list(get("quotes") or [])
    quotes += [q for sub in get("sub_proposals") or [] for q in sub.get("quotes") or []]
    return {q.get("contribution_id") for q in quotes}


def correction_payload(payload: dict, role: str | None) -> dict:
    """A writer's correction (labels, picked quotes) as ``role`` may see it."""
    if sees_personal_data(role):
        return dict(payload)
    out = {}
    for key, value in payload.items():
        if isinstance(value, str):
            value = scrub_rules(value)
        elif isinstance(value, list):
            value = [scrub_rules(v) if isinstance(v, str) else v for v in value]
        out[key] = value
    return out


def clusters_view(clusters: Sequence, role: str | None, repairs_of) -> list[dict]:
    """Several proposals as ``role`` may see them, the quoted contributions read at once."""
    if sees_personal_data(role):
        return [cluster_view(c, role, repairs_of) for c in clusters]
    ids = sorted({i for c in clusters for i in _quoted_ids(c)})
    known = repairs_of(ids) if ids else {}

    def read(wanted: Sequence[str]) -> dict[str, list]:
        return {i: known[i] for i in wanted if i in known}

    return [cluster_view(c, role, read) for c in clusters]


def contribution_view(contribution, role: str | None) -> dict:
    """The fields of a stored contribution that ``role`` may see: ``text`` and ``repairs``
    through the policy, ``original`` and ``author`` (its keyed pseudonym) for admins only."""
    admin = sees_personal_data(role)
    repairs = list(contribution.repairs or [])
    return {
        "text": text_view(contribution.text, repairs, role),
        "repairs": repairs_view(repairs, role),
        "original": contribution.original if admin else None,
        "author": contribution.author_pseudonym if admin else None,
    }


def classify_view(row: dict, role: str | None) -> dict:
    """The portal's answer (``text`` cleaned and ``repairs``) as the caller's role may see it;
    no key is the lowest role."""
    repairs = row.get("repairs") or []
    out = dict(row)
    out["text"] = text_view(row.get("text") or "", repairs, role)
    out["repairs"] = repairs_view(repairs, role)
    if not sees_personal_data(role):
        out.pop("original", None)
        out.pop("author", None)
    return out


def visible_match(text: str, query: str) -> bool:
    """A keyword search below admin answers only on what the caller can see: a name that
    pseudonymisation replaced (and its placeholder stands for) cannot be probed."""
    return _fold(query) in _fold(text)


class LogFilter(logging.Filter):
    """Log lines leave through the policy too: what the rules find is replaced in the message,
    its arguments (their shape kept: uvicorn's access lines unpack them) and the traceback (a
    log reader is not an admin of the data). Installed by :func:`install_log_filter`."""

    @staticmethod
    def _arg(value):
        if isinstance(value, int | float | bool) or value is None:
            return value
        return scrub_rules(value if isinstance(value, str) else str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub_rules(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub_rules(logging.Formatter().formatException(record.exc_info))
        return True


_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Put :class:`LogFilter` on every handler of ``logger`` (by default the root logger's and
    uvicorn's, which do not propagate to it)."""
    loggers = [logger] if logger is not None else [logging.getLogger(n) for n in _LOGGERS]
    for one in loggers:
        for handler in one.handlers:
            if not any(isinstance(f, LogFilter) for f in handler.filters):
                handler.addFilter(LogFilter())


__all__ = [
    "IN_TEXT_KINDS",
    "LogFilter",
    "PersonalValues",
    "classify_view",
    "cluster_view",
    "clusters_view",
    "contribution_view",
    "correction_payload",
    "derived_text",
    "install_log_filter",
    "quotes_view",
    "repair_view",
    "repairs_view",
    "rule_findings",
    "scrub_rules",
    "sees_personal_data",
    "store_repairs",
    "text_view",
    "visible_match",
]
