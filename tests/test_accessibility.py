"""RGAA basics: the palette's contrast (WCAG AA), and on every page served from a real store the
language, skip link, labelled controls, headings in order and tables with caption and headers."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

CSS = Path(__file__).resolve().parents[1] / "service" / "static" / "style.css"

# (text, background) pairs the stylesheet uses, and the ratio each needs.
TEXT_PAIRS = [
    ("--text", "--bg"),
    ("--text", "--surface"),
    ("--text", "--mark"),
    ("--text", "--repair"),
    ("--muted", "--bg"),
    ("--muted", "--surface"),
    ("--accent", "--bg"),
    ("--accent", "--surface"),
    ("--on-accent", "--accent"),
    ("--accent", "--accent-soft"),
    ("--error", "--bg"),
    ("--error", "--error-bg"),
    ("--ok", "--ok-bg"),
]
NON_TEXT_PAIRS = [("--focus", "--bg"), ("--line", "--bg"), ("--accent", "--bg")]  # 3:1


def palette() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS.read_text(), re.S).group(1)
    return dict(re.findall(r"(--[\w-]+)\s*:\s*(#[0-9a-fA-F]{6})", root))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_text_colours_reach_aa(fg, bg):
    colours = palette()
    assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)


@pytest.mark.parametrize(("fg", "bg"), NON_TEXT_PAIRS)
def test_outlines_and_borders_reach_3_to_1(fg, bg):
    colours = palette()
    assert contrast(colours[fg], colours[bg]) >= 3.0, (fg, bg)


def test_the_stylesheet_uses_only_the_palette():
    """A colour written outside :root escapes the contrast check."""
    body = re.sub(r":root\s*\{.*?\}", "", CSS.read_text(), flags=re.S)
    assert not re.findall(r"#[0-9a-fA-F]{3,6}\b", body)


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.headings: list[int] = []
        self.labels: set[str] = set()
        self.controls: list[dict] = []
        self.tables: list[dict] = []
        self.links: list[str] = []
        self.buttons: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)
        elif tag == "table":
            self.tables.append({"caption": False, "th": False})
        elif tag == "caption" and self.tables:
            self.tables[-1]["caption"] = True
        elif tag == "th" and self.tables:
            self.tables[-1]["th"] = True
        elif tag == "a":
            self.links.append(a.get("href", ""))
        elif tag == "button":
            self._button = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.buttons.append("".join(self._button).strip())
            self._button = None


def audit(html: str) -> list[str]:
    page = PageAudit()
    page.feed(html)
    problems = []
    if page.lang != "fr":
        problems.append("lang is not fr")
    if not page.links or page.links[0] != "#contenu":
        problems.append("the first link is not the skip link")
    if page.headings.count(1) != 1 or page.headings[0] != 1:
        problems.append(f"one h1 first: {page.headings}")
    for previous, level in zip(page.headings, page.headings[1:], strict=False):
        if level > previous + 1:
            problems.append(f"heading h{level} after h{previous}")
    for control in page.controls:
        if control.get("id") not in page.labels and not control.get("aria-label"):
            problems.append(f"unlabelled control {control}")
    for table in page.tables:
        if not (table["caption"] and table["th"]):
            problems.append(f"table without caption or th: {table}")
    problems += ["button without text" for b in page.buttons if not b]
    return problems


@pytest.mark.e2e
def test_every_page_has_the_rgaa_basics(sample_site):
    base, key = sample_site["base"], sample_site["keys"]["admin"]
    with httpx.Client(base_url=base) as client:
        form = client.get("/connexion").text
        token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)
        client.post("/connexion", data={"cle": key, "csrftoken": token})
        api = {"X-API-Key": key}
        proposal = client.get("/v1/clusters", headers=api).json()[0]["id"]
        contribution = client.get("/v1/contributions", headers=api).json()["items"][0]["id"]
        pages = [
            "/connexion",
            "/",
            "/themes/lien",
            f"/propositions/{proposal}",
            f"/contributions/{contribution}",
            "/recherche",
            "/recherche?q=police",
            f"/recherche?comme={contribution}",
            "/a-relire",
            "/corrections",
            "/themes/inconnu",
        ]
        for path in pages:
            response = client.get(path)
            assert response.status_code in (200, 404), path
            assert audit(response.text) == [], path
        refused = client.post("/corriger", data={"kind": "x", "target": "y"})  # no CSRF token
        assert refused.status_code == 403 and audit(refused.text) == []


def test_the_audit_finds_what_is_missing():
    bad = (
        '<html lang="en"><body><h2>x</h2><h1>y</h1><h3>z</h3><input id="a" name="a">'
        "<table><tr><td>1</td></tr></table><button></button></body></html>"
    )
    problems = audit(bad)
    assert len(problems) == 7, problems
