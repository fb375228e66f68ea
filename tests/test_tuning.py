"""Settings chosen by cross-validation on the consultation's own labels (``train --tune``):
the real static embedder, the bundled writers' texts, the real command line."""

from __future__ import annotations

import json

import pytest

from nlp_assises.classify import ThemeClassifier
from nlp_assises.classify.tuning import TUNING_GRID, cross_validated, tune
from nlp_assises.datasets import load_labelled
from nlp_assises.scheme import Scheme
from tests.conftest import REPO
from tests.test_cli import cli

SCHEME = REPO / "nlp_assises" / "schemes" / "assises-2020.toml"


def few_labels(n: int) -> list[dict]:
    """``n`` texts of writers A-D, every dominant theme present (every ``k``-th text)."""
    records = load_labelled("train")
    return records[:: len(records) // n][:n]


def test_tune_keeps_the_setting_with_the_best_cross_validated_macro_f1(embedder):
    records = few_labels(120)
    texts, labels = [r["text"] for r in records], [r["themes"] for r in records]
    scheme = Scheme.default()
    grid = {"C": (1.0, 16.0), "word_weight": (0.0, 2.0)}
    seen = []
    found = tune(
        embedder,
        texts,
        labels,
        scheme,
        grid=grid,
        folds=3,
        repeats=1,
        progress=lambda done, total, row: seen.append((done, total)),
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [row["params"] for row in found["grid"]] == [
        {"C": 1.0, "word_weight": 0.0},
        {"C": 1.0, "word_weight": 2.0},
        {"C": 16.0, "word_weight": 0.0},
        {"C": 16.0, "word_weight": 2.0},
    ]
    best = max(row["macro_f1"] for row in found["grid"])
    assert found["params"] == next(r["params"] for r in found["grid"] if r["macro_f1"] == best)
    for row in found["grid"]:
        assert 0.0 < row["macro_f1"] <= 1.0 and 0.0 <= row["ece"] <= 1.0
    # a grid point's figures are those of cross-validating that setting alone
    alone = cross_validated(
        lambda: ThemeClassifier(embedder, C=16.0, word_weight=2.0),
        texts,
        labels,
        scheme,
        folds=3,
        repeats=1,
    )
    assert alone == {k: v for k, v in found["grid"][3].items() if k != "params"}


@pytest.mark.slow  # 9 settings x 5 folds x 2 repeats, in a CLI subprocess: about a minute
def test_train_tune_writes_the_chosen_settings_and_what_was_tried(tmp_path, cli_env):
    records = few_labels(90)
    path = tmp_path / "labels.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": r["id"], "text": r["text"], "themes": r["themes"]}) + "\n"
            for r in records
        ),
        encoding="utf-8",
    )
    result = cli("train", path, "--scheme", SCHEME, "-o", tmp_path / "m", "--tune", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert "tuning 9/9" in result.stderr
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    tuning = card["tuning"]
    assert len(tuning["grid"]) == len(TUNING_GRID["C"]) * len(TUNING_GRID["word_weight"])
    assert tuning["params"].items() <= card["params"].items()
    best = max(row["macro_f1"] for row in tuning["grid"])
    assert next(r for r in tuning["grid"] if r["params"] == tuning["params"])["macro_f1"] == best
