"""Synthetic damage, for benchmarks and tests of the cleaner: the PDF accent artifact and
classic mojibake, applied to correct French at a chosen rate."""

from __future__ import annotations

import random
import unicodedata

# The stand-in glyph that carries each accent (as in the Allier press release: è → "eà").
ALLIER_STAND_INS = {"\u0301": "é", "\u0300": "à", "\u0302": "ê", "\u0308": "ë", "\u0327": "ç"}
OTHER_STAND_INS = {"\u0301": "á", "\u0300": "ò", "\u0302": "â", "\u0308": "ï", "\u0327": "ç"}


def pdf_accent_artifact(
    text: str,
    *,
    rate: float = 1.0,
    stand_ins: dict[str, str] = ALLIER_STAND_INS,
    inner_space: float = 0.3,
    seed: int = 0,
) -> str:
    """Write accented letters as base letter + stand-in, as some PDF producers do.

    ``rate``: share of accented letters damaged; ``inner_space``: probability of a space after a
    pair inside a word (a pair ending a word is always followed by one).
    """
    rng = random.Random(seed)
    out = []
    for i, char in enumerate(text):
        decomposed = unicodedata.normalize("NFD", char)
        marks = decomposed[1:]
        if (
            len(decomposed) == 2
            and marks in stand_ins
            and decomposed[0].isalpha()
            and rng.random() < rate
        ):
            out.append(decomposed[0] + stand_ins[marks])
            following = text[i + 1] if i + 1 < len(text) else ""
            if (not following.isalpha() and following not in ("", "\n")) or (
                following.isalpha() and rng.random() < inner_space
            ):
                out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def mojibake(text: str, *, encoding: str = "cp1252", rounds: int = 1) -> str:
    """UTF-8 bytes read as ``encoding``: "sécurité" → "sÃ©curitÃ©".

    cp1252 is read as Windows software does, the five undefined bytes included (ftfy's
    "sloppy" codec), so that the damage loses nothing a repair could restore.
    """
    import ftfy.bad_codecs  # noqa: F401  (registers the sloppy codecs)

    codec = "sloppy-windows-1252" if encoding == "cp1252" else encoding
    for _ in range(rounds):
        text = text.encode("utf-8").decode(codec)
    return text
