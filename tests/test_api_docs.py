"""The public API is documented: every name of ``nlp_assises.__all__`` has its entry in
``docs/api.md``, generated from the docstrings by ``scripts/api_docs.py``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nlp_assises

REPO = Path(__file__).resolve().parents[1]
API_MD = REPO / "docs" / "api.md"
sys.path.insert(0, str(REPO / "scripts"))
from api_docs import render  # noqa: E402


def test_every_public_name_is_documented():
    text = API_MD.read_text(encoding="utf-8")
    missing = [n for n in nlp_assises.__all__ if n != "__version__" and f"### `{n}`\n" not in text]
    assert not missing, f"not in docs/api.md: {missing}"
    assert "(no docstring)" not in text


def test_every_public_name_resolves():
    for name in nlp_assises.__all__:
        assert getattr(nlp_assises, name) is not None
    assert set(nlp_assises._EXPORTS) == set(nlp_assises.__all__) - {"__version__"}


def test_api_md_lists_the_public_api_and_nothing_else():
    """A name dropped from the API leaves the reference too (regenerate with
    ``python scripts/api_docs.py``; the body follows the docstrings)."""
    documented = re.findall(r"^### `(\w+)`$", API_MD.read_text(encoding="utf-8"), re.M)
    assert sorted(documented) == sorted(n for n in nlp_assises.__all__ if n != "__version__")
    assert [line for line in render().splitlines() if line.startswith("### ")] == [
        f"### `{n}`" for n in documented
    ]
