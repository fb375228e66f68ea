"""Few-label retraining on another consultation, through the real command line: the dev half of
the hand-labelled real answers (Grand Débat Q134, ``../shared/realdata``) mapped to a 4-theme
scheme goes through ``nlp-assises train --scheme`` and ``evaluate``; the model must beat a
TF-IDF + LR baseline trained and scored on the same texts in the same test. The hand mapping of
proposals to themes is checked without the real text."""

from __future__ import annotations

import json

import pytest

from bench.few_label import (
    FEW_LABEL_BATCHES,
    LABELS,
    REALDATA,
    SCHEME_PATH,
    SLUG_THEMES,
    TfidfBaseline,
    answer_themes,
    clean,
    q134_records,
)
from nlp_assises.classify.small_data import SMALL_SET, small_set_params
from nlp_assises.evaluation import evaluate
from nlp_assises.scheme import HORS_THEME, Scheme
from tests.conftest import REPO
from tests.test_cli import cli

INVENTORY = REPO / "data" / "labels" / "realdata_proposal_inventory.json"
needs_realdata = pytest.mark.skipif(
    not REALDATA.is_file(), reason=f"{REALDATA} is absent (../shared/realdata is not mounted)"
)


def test_every_proposal_slug_is_mapped_to_scheme_themes():
    scheme = Scheme.load(SCHEME_PATH)
    assert len(scheme.themes) == 4
    mapping = json.loads(SLUG_THEMES.read_text(encoding="utf-8"))["themes"]
    inventory = json.loads(INVENTORY.read_text(encoding="utf-8"))["proposals"]
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    used_slugs = {s for r in rows if r["batch"] in FEW_LABEL_BATCHES for s in r["proposals"]}
    # every slug the mapped batches use, in the inventory's order, and nothing else
    assert list(mapping) == [p["slug"] for p in inventory if p["slug"] in used_slugs]
    for slug, themes in mapping.items():
        assert themes and len(set(themes)) == len(themes), slug
        scheme.validate_labels(themes, where=f"{slug}: ")  # hors_theme alone, else scheme ids
    used = {t for themes in mapping.values() for t in themes}
    assert used == {*scheme.theme_ids, HORS_THEME}


def test_answer_themes_follow_the_main_proposal_and_drop_off_topic_ones():
    mapping = {"a": ["sanctions"], "b": ["education", "sanctions"], "c": [HORS_THEME]}
    assert answer_themes(["b", "a"], mapping) == ["education", "sanctions"]
    assert answer_themes(["c", "a"], mapping) == ["sanctions"]
    assert answer_themes(["c"], mapping) == [HORS_THEME]
    assert answer_themes([], mapping) == [HORS_THEME]


def test_small_sets_get_their_own_settings():
    assert small_set_params(SMALL_SET - 1) == {"C": 4.0, "word_weight": 1.0}
    assert small_set_params(SMALL_SET) == {}


@needs_realdata
@pytest.mark.slow  # two CLI subprocesses that load the embedder, ~1 min on 2 busy cores
def test_train_on_the_dev_half_beats_tfidf_on_the_test_half(tmp_path, cli_env):
    splits = q134_records()
    for split, records in splits.items():
        path = tmp_path / f"{split}.jsonl"
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    dev, test = splits["dev"], splits["test"]
    result = cli(
        "train", tmp_path / "dev.jsonl", "--scheme", SCHEME_PATH, "-o", tmp_path / "m", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert card["scheme"]["name"] == Scheme.load(SCHEME_PATH).name
    assert card["training"]["n"] == len(dev)
    assert small_set_params(len(dev)).items() <= card["params"].items()

    result = cli(
        "evaluate", tmp_path / "test.jsonl", "--model", tmp_path / "m", "--json", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["n"] == len(test)
    assert set(metrics["per_theme"]) == {*card["thresholds"], HORS_THEME}
    for key in ("accuracy", "macro_f1", "macro_f1_strict", "ece", "needs_review_rate"):
        assert 0.0 <= metrics[key] <= 1.0, key

    scheme = Scheme.load(SCHEME_PATH)
    baseline = TfidfBaseline(scheme).fit(
        clean([r["text"] for r in dev]), [r["themes"] for r in dev]
    )
    gold = [r["themes"] for r in test]
    tfidf = evaluate(gold, baseline.predict(clean([r["text"] for r in test])), scheme.theme_ids)
    assert metrics["macro_f1"] > tfidf["macro_f1"], (metrics["macro_f1"], tfidf["macro_f1"])
