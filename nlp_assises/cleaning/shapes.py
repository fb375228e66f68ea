"""Personal data that has a shape: e-mails (written or spelt out), phone numbers, postal
addresses, number plates, social security numbers. Rules find them whatever the sentence
around; the pseudonymiser replaces them (``pseudonymize.py``) and the privacy policy scrubs
them from texts that have no contribution behind them (``privacy.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# An address spelt out against robots: "jean.dupont [at] gmail.com", "jean.dupont arobase
# orange point fr", "jean(at)free(dot)fr"; it must end on a known domain ending.
_AT = r"(?:\s*[\[({]\s*(?:at|arobase|@)\s*[\])}]\s*|\s+(?:at|arobase|@)\s+|\s*arobase\s*)"
_DOT = r"(?:\s*[\[({]\s*(?:dot|point)\s*[\])}]\s*|\s+(?:dot|point)\s+|\.)"
SPELT_EMAIL = re.compile(
    rf"\b[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}"
    r"(?:com|fr|net|org|eu|info|be|ch|ca|io|me|biz|gouv\.fr)\b",
    re.I,
)
# A French social security number (NIR): sex, year, month, département, commune, order, key.
NIR = re.compile(
    r"(?<!\d)[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?"
    r"\d{3}(?:[ .]?\d{2})?(?!\d)"
)
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
)
# A French number plate identifies its owner: "AB-123-CD" (since 2009; no I, O or U), with
# hyphens or none. Written with spaces, or the older "1234 AB 56", it could be other things
# ("EN 130 KM"): then only after a word about a vehicle ("la voiture immatriculée …").
_PLATE_LETTER = "[A-HJ-NP-TV-Z]"
PLATE = re.compile(
    rf"\b(?i:{_PLATE_LETTER}{{2}}-\d{{3}}-{_PLATE_LETTER}{{2}})\b"
    rf"|\b{_PLATE_LETTER}{{2}}\d{{3}}{_PLATE_LETTER}{{2}}\b"
)
PLATE_AFTER_VEHICLE = re.compile(
    r"\b(?i:immatricul\w*|plaques?|v[ée]hicules?|voitures?|motos?|scooters?|camion(?:nette)?s?"
    r"|fourgons?|utilitaires?|quads?|4x4)\b[^.!?\n]{0,40}?"
    rf"(?P<plate>\b(?i:{_PLATE_LETTER}{{2}}[ -]?\d{{3}}[ -]?{_PLATE_LETTER}{{2}})\b"
    r"|\b\d{1,4}[ -]?[A-HJ-NP-Z]{1,3}[ -]?(?:\d{2}|2[AB])\b)"
)
# The words of a street's type; a place named after someone follows them ("rue Jean Jaurès").
STREET_TYPES = (
    r"rue|avenue|av\.|boulevard|bd|place|impasse|all[ée]e|chemin|route|quai|cours|square"
    r"|lotissement|r[ée]sidence|lieu-dit|hameau|faubourg|passage|cit[ée]"
)
_STREET = rf"(?:{STREET_TYPES})"
ADDRESS = re.compile(
    rf"\b\d{{1,4}}(?:\s?(?:bis|ter|[a-c]))?,?\s+{_STREET}\s+[^\n,;()]{{2,50}}?"
    r"(?=\s*(?:[,;()\n]|$|\s\d{5}\b))"
    r"(?:,?\s*\d{5}[ \t]+[A-ZÉÈ][\w'’-]+(?:[ \t-][A-ZÉÈ][\w'’-]+)*(?:[ \t]+cedex)?)?"
    r"|\b(?:CS|BP)\s?\d{3,6}\b"
    r"|\b\d{5}[ \t]+[A-ZÉÈ][A-ZÉÈ'’-]{2,}(?:[ \t-][A-ZÉÈ'’-]{2,})*(?:[ \t]+CEDEX)?\b",
    re.I | re.M,
)


# Each shape and its placeholder kind, in the order the privacy policy scrubs them (an address
# last: it may hold a phone number's digits).
SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (EMAIL, "EMAIL"),
    (SPELT_EMAIL, "EMAIL"),
    (NIR, "NIR"),
    (PHONE, "TEL"),
    (PLATE, "IMMAT"),
    (ADDRESS, "ADRESSE"),
)


def shaped_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, placeholder kind) of every piece of shaped personal data in ``text``;
    spans may overlap (the pseudonymiser merges them)."""
    for pattern, kind in SHAPES:
        for m in pattern.finditer(text):
            yield m.start(), m.end(), kind
    for m in PLATE_AFTER_VEHICLE.finditer(text):
        yield m.start("plate"), m.end("plate"), "IMMAT"
