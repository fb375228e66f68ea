"""The data bundled with the package: the sample consultation and the labelled corpus.

The labelled corpus has a fixed held-out split (``test``) written by a writer whose texts never
appear in ``train``: no training or tuning ever reads it. The independent corpus (new writers, no
quota plan) has its own held-out split of new writers *and* new proposals (``load_independent``).
Both are built from ``data/written/`` by ``scripts/build_corpus.py``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from nlp_assises.errors import ConfigurationError
from nlp_assises.scheme import HORS_THEME, Scheme

SPLITS = ("train", "test")


def data_path(*parts: str) -> Path:
    return Path(str(resources.files("nlp_assises") / "data")).joinpath(*parts)


def sample_consultation_path() -> Path:
    """The folder of the sample consultation (e-mails, form export, letters, meeting notes)."""
    return data_path("sample")


def labelled_corpus_path(split: str = "train") -> Path:
    if split not in SPLITS:
        raise ConfigurationError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return data_path("corpus", f"{split}.jsonl")


def load_labelled(split: str = "train") -> list[dict]:
    """Records of the labelled corpus: ``id``, ``text``, ``themes``, ``proposal``, ``register``."""
    path = labelled_corpus_path(split)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


INDEPENDENT_SPLITS = ("train", "test", "unseen_proposal")


def load_independent(split: str | None = None) -> list[dict]:
    """Records of the independent corpus (``split``: ``train``, ``test`` = new writers and new
    proposals, ``unseen_proposal`` = other writers' texts making a held-out proposal; all when
    None). Each has ``themes`` (dominant first), ``proposal``, ``proposals``, ``writer``."""
    if split is not None and split not in INDEPENDENT_SPLITS:
        raise ConfigurationError(
            f"unknown split {split!r}; expected one of {', '.join(INDEPENDENT_SPLITS)}"
        )
    path = data_path("corpus", "independent.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r["split"] == split]


def default_training_records() -> list[dict]:
    """What the default theme classifier learns from: the first corpus's train split (writers
    A-D) and the independent corpus's train split (writers N1, N3–N31 without the held-out
    ideas). Both held-out splits (writer E; writer N2 and the unseen proposals) stay unread.
    ``bootstrap.default_classifier_training`` can add the scheme's own phrases
    (``scheme_example_records``)."""
    return [*load_labelled("train"), *load_independent("train")]


SCHEME_WRITER = "scheme"


def scheme_example_records(scheme: Scheme) -> list[dict]:
    """The scheme's own short phrases as labelled records: each theme's ``examples`` under that
    theme, ``off_topic`` under ``hors_theme`` (``writer`` is ``"scheme"``; none when the scheme
    has no phrases).

    Real answers are often a few generic words ("plus de police", "des caméras"), where the
    first writers' corpora were sentences and letters: short phrases of each theme, counted
    several times (``bootstrap.SCHEME_EXAMPLE_WEIGHT``), lifted the default on real answers
    until writers N12-N15 brought enough short texts of their own, and again once writers
    N24-N27 brought answers to open questions (each run's rule decides, ``docs/classifier.md``).
    The zero-shot classifier reads them."""
    records = [
        {"text": text, "themes": [theme.id], "writer": SCHEME_WRITER}
        for theme in scheme.themes
        for text in theme.examples
    ]
    records += [
        {"text": text, "themes": [HORS_THEME], "writer": SCHEME_WRITER} for text in scheme.off_topic
    ]
    return records


def proposal_training_records() -> list[dict]:
    """What the recurring proposals (``KnownProposals``) learn from: writers A-D's train split
    and the independent corpus's train split (writers N1, N3–N31), read as an open set.

    Learnt on A-D alone, the "none" class had seen almost none of the near-misses real answers
    are made of (sanctions, school, justice), so "sanctionner" went to "Mieux protéger les forces
    de l'ordre". The independent writers' contributions making one of the 40 proposals are
    positives; those making the writers' other ideas (``ideas.json``) or no proposal are "none".
    A record whose main proposal is another idea but which also makes one of the 40 is left out:
    it is neither a clean example nor a clean "none". Each record has ``id``, ``text``,
    ``proposal`` (a catalogue slug or None) and ``proposals`` (all it makes)."""
    slugs = {p["slug"] for p in load_proposals()}
    records = [
        {**r, "proposals": [r["proposal"]] if r["proposal"] else []} for r in load_labelled("train")
    ]
    for r in load_independent("train"):
        main = r["proposal"] if r["proposal"] in slugs else None
        if main is None and any(p in slugs for p in r["proposals"]):
            continue
        records.append(
            {"id": r["id"], "text": r["text"], "proposal": main, "proposals": r["proposals"]}
        )
    return records


def load_proposals() -> list[dict]:
    """The recurring proposals of the labelled corpus (slug, theme, label)."""
    return json.loads(data_path("proposals.json").read_text(encoding="utf-8"))


def load_sample_labels() -> dict[str, dict]:
    """Themes and proposals of the sample consultation, by record id (for evaluation only)."""
    path = data_path("sample_labels.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {row["id"]: row for row in rows}
