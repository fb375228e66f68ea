"""Character-level repairs: mojibake (ftfy), invisible characters, HTML, PDF line layout."""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from html.parser import HTMLParser
from typing import ClassVar

import ftfy

from nlp_assises.cleaning.repairs import Repair, substitute

# ftfy's options, set explicitly. Curly quotes and apostrophes are French typography: straightening
# them would change about 0.8% of correct tokens, so ``uncurl_quotes`` stays off.
FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html="auto",
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=True,
    fix_character_width=True,
    uncurl_quotes=False,
    fix_line_breaks=False,  # line endings are our own, audited step
    fix_surrogates=True,
    remove_control_chars=True,
    normalization="NFC",
    max_decode_length=1_000_000,
    explain=False,
)

_TOKENS = re.compile(r"\s+|[^\s]+")


def diff_repairs(before: str, after: str, kind: str, offset: int = 0) -> list[Repair]:
    """Word-level repairs that turn ``before`` into ``after`` (for ftfy's whole-line fixes).

    ftfy keeps word boundaries almost always, so words are compared in step; when the number of
    words changed, a difflib alignment of the words takes over.
    """
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    repairs: list[Repair] = []
    if len(a) == len(b):
        position = 0
        for old, new in zip(a, b, strict=True):
            if old != new:
                repairs.append(Repair(kind, old, new, offset + position))
            position += len(old)
        return repairs
    starts = [0]
    for token in a:
        starts.append(starts[-1] + len(token))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            repairs.append(Repair(kind, "".join(a[i1:i2]), "".join(b[j1:j2]), offset + starts[i1]))
    return repairs


def _implausible(text: str) -> int:
    """Characters French text does not hold: combining marks, letters of non-Latin scripts."""
    count = 0
    for char in text:
        foreign_letter = (
            char.isalpha() and not char.isascii() and ("LATIN" not in unicodedata.name(char, ""))
        )
        if unicodedata.combining(char) or foreign_letter:
            count += 1
    return count


# Lines of printable ASCII (but "&", for HTML entities) and French letters and typography, where
# no two non-ASCII characters touch, give ftfy nothing to do: mojibake decodes a UTF-8 sequence,
# two bytes or more, each shown as a non-ASCII character. ftfy is not asked there (it costs more
# than half a millisecond a contribution); ``tests/test_cleaning.py`` checks that it would leave
# every such line as it is. One exception found by hypothesis: ftfy reads "â œ" as UTF-8 whose
# no-break space became a space ("⠜"), so "â" may not be followed by a space and a non-ASCII
# character either.
_FRENCH_PLAIN = re.compile(
    r"(?:[ -%'-~\n]|[àäçéèêëîïôöùûüÿæœÀÇÉÈÊËÏÔÖÛÜÆ’«»…–—°€](?![^\x00-\x7f])"
    r"|â(?![^\x00-\x7f]| [^\x00-\x7f]))*"
)


def needs_ftfy(line: str) -> bool:
    return not _FRENCH_PLAIN.fullmatch(line)


def fix_mojibake(text: str) -> tuple[str, list[Repair]]:
    """ftfy, line by line: mojibake, HTML entities, ligatures, control characters.

    A fix that brings in characters French does not use (a line mixing correct text and mojibake
    can make ftfy guess Mac Roman) is refused: a doubtful line is left as it came.
    """
    repairs: list[Repair] = []
    out: list[str] = []
    offset = 0
    for line in text.split("\n"):
        line += "\n"
        fixed = ftfy.fix_text(line, config=FTFY_CONFIG) if needs_ftfy(line) else line
        if fixed != line and _implausible(fixed) > _implausible(line):
            fixed = line
        if fixed != line:
            repairs.extend(diff_repairs(line, fixed, "mojibake", offset))
        out.append(fixed)
        offset += len(line)
    return "".join(out)[:-1], repairs


_LINE_ENDINGS = re.compile(r"\r\n?|\u2028|\u2029|\x0b|\x0c|\x85")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")


def fix_invisible(text: str) -> tuple[str, list[Repair]]:
    """Line endings, zero-width characters, soft hyphens, and exotic spaces (non-breaking...)."""
    text, repairs = substitute(_LINE_ENDINGS, text, "line_break", lambda m: "\n")
    text, more = substitute(_INVISIBLE, text, "invisible_char", lambda m: "")
    repairs += more
    text, more = substitute(_ODD_SPACES, text, "space", lambda m: " ")
    return text, repairs + more


class _TextExtractor(HTMLParser):
    _BLOCK: ClassVar = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "table",
        "ul",
        "ol",
    }
    _SKIP: ClassVar = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


_HTML_HINT = re.compile(r"<(?:html|body|p|div|br|span|table|li|b|i|a\s)[\s/>]", re.I)


def html_to_text(text: str) -> tuple[str, list[Repair]]:
    """Turn an HTML body (e-mail or form) into text; plain text passes untouched."""
    if not _HTML_HINT.search(text):
        return text, []
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    converted = html.unescape("".join(parser.parts))
    converted = re.sub(r"[ \t]*\n[ \t]*", "\n", converted)
    converted = re.sub(r"\n{3,}", "\n\n", converted).strip("\n")
    return converted, [Repair("html", text, converted, 0)]


# A word cut at the end of a PDF line: "sécu-\nrité" → "sécurité" (only when the glued word is
# French we know better than the hyphenated compound).
_HYPHENATED = re.compile(r"(\w+)-\n[ \t]*(\w+)")


def join_hyphenation(text: str, lexicon) -> tuple[str, list[Repair]]:
    def glue(match: re.Match[str]) -> str | None:
        left, right = match.group(1), match.group(2)
        glued, compound = left + right, f"{left}-{right}"
        if lexicon.knows(glued) and lexicon.logprob(glued) >= lexicon.logprob(compound):
            return glued
        if lexicon.knows(compound):
            return compound
        return None

    return substitute(_HYPHENATED, text, "hyphenation", glue)


_SPACES = re.compile(r" {2,}")
_TRAILING = re.compile(r" +\n|\n +")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACE_BEFORE_COMMA = re.compile(r"(?<=\w) +(?=[,.](?:\s|$))")


def normalise_whitespace(text: str) -> tuple[str, list[Repair]]:
    """Collapse runs of spaces and blank lines; strip the ends. Runs last: spacing carries
    information for the PDF accent repair."""
    repairs: list[Repair] = []
    for pattern, replacement in (
        (_TRAILING, lambda m: "\n"),
        (_SPACES, lambda m: " "),
        (_SPACE_BEFORE_COMMA, lambda m: ""),
        (_BLANK_LINES, lambda m: "\n\n"),
    ):
        text, more = substitute(pattern, text, "whitespace", replacement)
        repairs += more
    stripped = text.strip()
    if stripped != text:
        lead = len(text) - len(text.lstrip())
        if lead:
            repairs.append(Repair("whitespace", text[:lead], "", 0))
        tail = len(text) - len(text.rstrip())
        if tail:
            repairs.append(Repair("whitespace", text[len(text) - tail :], "", len(text) - tail))
    return stripped, repairs
