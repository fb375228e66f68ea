"""Damage, for benchmarks and tests of the cleaner: the PDF accent artifact and classic mojibake
applied to correct French at a chosen rate, and real PDFs that carry the artifact in their text
layer (drawn with fpdf2, read back with pypdf by the benchmark and the tests)."""

from __future__ import annotations

import functools
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


# --- The artifact as real PDF text extraction gives it -------------------------------------------
# The model above writes the artifact as a string. Below, the text is drawn into a real PDF the way
# some producers draw accented letters, and read back with pypdf: whatever spacing and order the
# extractor makes of the glyphs' positions is what the cleaner gets.

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian's fonts-dejavu-core
SPACING_ACCENTS = {"\u0301": "\u00b4", "\u0300": "`", "\u0302": "\u02c6", "\u0308": "\u00a8"}
SPACING_ACCENTS["\u0327"] = "\u00b8"
PDF_STYLES = {
    "stand_in": "base letter, then the stand-in accented glyph drawn over it",
    "stand_in_spaced": "the same, the next glyph set a little further (the Allier producer)",
    "spacing_accent": "base letter, then a spacing accent (´ ` ˆ ¨ ¸) drawn over it",
    "decomposed": "NFD text: the combining mark follows its letter in the text stream",
    "mark_apart": "NFD text, each combining mark drawn on its own over its letter",
    "precomposed": "no artifact: every accented letter is one glyph (the control)",
}
_FONT_SIZE = 11
_LINE_MM = 6
_GAP_MM = 0.8  # what "stand_in_spaced" adds after a stand-in: pypdf reads it as a space


def _draw(pdf, text: str, style: str) -> None:
    """Draw ``text`` glyph run by glyph run, wrapping lines at spaces, one text line a PDF line."""
    left, right = pdf.l_margin, pdf.w - pdf.r_margin
    run = ""

    def flush() -> None:
        nonlocal run
        if run:
            pdf.cell(pdf.get_string_width(run), _LINE_MM, run)
            run = ""

    for line in text.split("\n"):
        pdf.set_x(left)
        for i, word in enumerate(line.split(" ")):
            width = pdf.get_string_width(unicodedata.normalize("NFC", word + " "))
            if i and pdf.get_x() + pdf.get_string_width(run) + width > right:
                flush()
                pdf.ln(_LINE_MM)
                pdf.set_x(left)
            elif i:
                run += " "
            for char in word:
                decomposed = unicodedata.normalize("NFD", char)
                mark = decomposed[1:]
                if style == "precomposed" or len(decomposed) != 2 or mark not in SPACING_ACCENTS:
                    run += char
                    continue
                if style == "decomposed":
                    run += decomposed
                    continue
                run += decomposed[0]
                flush()
                x, base_width = pdf.get_x(), pdf.get_string_width(decomposed[0])
                glyph = {
                    "stand_in": ALLIER_STAND_INS[mark],
                    "stand_in_spaced": ALLIER_STAND_INS[mark],
                    "spacing_accent": SPACING_ACCENTS[mark],
                    "mark_apart": mark,
                }[style]
                pdf.set_x(x - base_width)
                pdf.cell(base_width, _LINE_MM, glyph)
                pdf.set_x(x + (_GAP_MM if style == "stand_in_spaced" else 0.0))
        flush()
        pdf.ln(_LINE_MM)


def write_pdf_with_artifact(
    texts: str | list[str], path, style: str, font: str = DEJAVU
) -> list[range]:
    """An A4 PDF of ``texts`` in a TrueType font, accented letters drawn per ``style``, each text
    from a new page; returns the pages (0-based) of each text. One file for many texts: fpdf2
    parses the font once per file, which is most of the time a small PDF takes."""
    from fpdf import FPDF

    if style not in PDF_STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {', '.join(PDF_STYLES)}")
    pdf = FPDF(format="A4")
    pdf.add_font("Text", fname=font)
    pdf.set_font("Text", size=_FONT_SIZE)
    pages = []
    for text in [texts] if isinstance(texts, str) else texts:
        pdf.add_page()
        first = pdf.page_no() - 1
        _draw(pdf, text, style)
        pages.append(range(first, pdf.page_no()))
    pdf.output(str(path))
    return pages


def drawable(text: str, font: str = DEJAVU) -> bool:
    """Every character has a glyph in the font (an emoji would be dropped, not an artifact)."""
    cmap = _cmap(font)
    return all(ord(c) in cmap or c == "\n" for c in unicodedata.normalize("NFD", text))


@functools.lru_cache(maxsize=2)
def _cmap(font: str) -> dict[int, str]:
    from fontTools.ttLib import TTFont

    return TTFont(font).getBestCmap()
