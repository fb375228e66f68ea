"""The data scientists' API on a real store: DataFrames, labelling batches (export, uncertainty
sampling, read back with line-numbered errors, merge with writers' corrections), model comparison
and promotion, and writing one theme's proposals back."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import nlp_assises as na
from nlp_assises.clustering import ClusteringResult
from nlp_assises.settings import Settings

N = 40


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, models_ready, new_database_url):
    """The first contributions of the held-out corpus, ingested and classified for real."""
    root = tmp_path_factory.mktemp("labelling")
    pipeline = na.Pipeline(
        Settings(data_dir=root / "var", models_dir=models_ready, database_url=new_database_url())
    )
    records = [
        na.Record(text=r["text"], id=r["id"], themes=None) for r in na.load_labelled("test")[:N]
    ]
    pipeline.ingest(records)
    pipeline.classify_store()
    return pipeline


@pytest.fixture(scope="module")
def gold():
    return {r["id"]: r["themes"] for r in na.load_labelled("test")[:N]}


def test_contributions_frame_is_the_store(pipeline):
    df = na.contributions_frame(pipeline.store)
    decisions = pipeline.store.latest_classifications()
    assert len(df) == pipeline.store.count() == N
    assert "original" not in df.columns
    for theme in pipeline.scheme.theme_ids:
        assert df[f"score_{theme}"].between(0, 1).all()
    some = df.index[0]
    assert df.at[some, "primary"] == decisions[some].primary
    assert df.at[some, "margin"] == decisions[some].margin
    assert (df["n_words"] > 0).all() and (df["format"].isna()).all()


def test_review_queue_is_uncertainty_sampling(pipeline):
    queue = na.review_queue(pipeline.store)
    flags = queue["needs_review"].tolist()
    assert flags == sorted(flags, reverse=True)  # to review first
    for flag in (True, False):  # the least sure first: lowest probability of being right
        sure = queue.loc[queue["needs_review"] == flag, "confidence"].tolist()
        assert sure == sorted(sure) and not any(c is None or np.isnan(c) for c in sure)
    reviewed = queue["needs_review"].to_numpy()
    assert queue["confidence"][reviewed].max() < queue["confidence"][~reviewed].min()
    assert len(na.review_queue(pipeline.store, n=5)) == 5


def _fill_csv(path, gold, scheme, *, skip=()):
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = rows[0]
    for row in rows[1:]:
        if row[0] in skip:
            continue
        themes = gold[row[0]] or ["hors_theme"]
        for column in [*scheme.theme_ids, "hors_theme"]:
            row[header.index(column)] = "x" if column in themes else ""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows(rows)


def test_csv_batch_round_trip_and_training(pipeline, gold, tmp_path, embedder):
    scheme = pipeline.scheme
    queue = na.review_queue(pipeline.store, n=30)
    path = na.export_batch(queue, tmp_path / "lot.csv", scheme)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # French Excel reads it as UTF-8
    header = raw.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:4] == ["id", "text", "primary", "labels"]
    assert header[-5:] == [*scheme.theme_ids, "hors_theme"]
    _fill_csv(path, gold, scheme)
    batch = na.read_batch(path, scheme)
    assert list(batch.index) == list(queue.index)
    assert all(batch.at[i, "themes"] == (gold[i] or ["hors_theme"]) for i in batch.index)
    assert batch["line"].is_monotonic_increasing and batch["line"].iloc[0] == 2

    # a writer corrected one of them differently, and another one outside the batch
    inside, outside = queue.index[0], na.review_queue(pipeline.store).index[-1]
    other = next(t for t in scheme.theme_ids if t not in gold[inside])
    pipeline.correct("move_contribution", inside, {"themes": [other]}, author="test")
    pipeline.correct("move_contribution", outside, {"themes": ["hors_theme"]}, author="test")
    labels = na.training_labels(pipeline.store, path, scheme)
    assert len(labels) == 31
    assert labels.at[inside, "conflict"]
    assert labels.at[inside, "themes"] == batch.at[inside, "themes"]
    assert labels.at[inside, "origin"] == "writer+batch"
    assert labels.at[outside, "themes"] == ["hors_theme"]
    assert labels.at[outside, "origin"] == "writer"
    writer_wins = na.training_labels(pipeline.store, path, scheme, prefer="writer")
    assert writer_wins.at[inside, "themes"] == [other]
    stored = {c.id: c.text for c in pipeline.store.contributions()}
    assert all(labels.at[i, "text"] == stored[i] for i in labels.index)
    # corrected contributions leave the queue
    assert inside not in na.review_queue(pipeline.store).index

    model = na.ThemeClassifier(embedder, cv=2).fit(labels["text"], labels["themes"], scheme)
    assert model.card["training"]["n"] == 31
    records = na.to_records(labels)
    assert set(records[0]) == {"id", "text", "themes"}


def test_jsonl_batch_round_trip(pipeline, gold, tmp_path):
    scheme = pipeline.scheme
    path = na.export_batch(na.review_queue(pipeline.store, n=5), tmp_path / "lot.jsonl", scheme)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(r["themes"] == [] and "suggestion" in r for r in rows)
    for r in rows:
        r["themes"] = gold[r["id"]] or ["hors_theme"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    batch = na.read_batch(path, scheme)
    assert [batch.at[r["id"], "themes"] for r in rows] == [r["themes"] for r in rows]


CSV_HEAD = "id;text;communication;service;lien;participation;hors_theme\r\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (CSV_HEAD + "a;Un texte;x;;;;\r\nb;Un autre;;;;;\r\n", "line 3: nothing marked for b"),
        (CSV_HEAD + "a;Un texte;x;;;;x\r\n", "line 2: hors_theme cannot be combined"),
        (CSV_HEAD + "a;Un texte;x;;;;\r\na;Encore;;x;;;\r\n", "line 3: id a already on line 2"),
        (CSV_HEAD + ";Sans id;x;;;;\r\n", "line 2: no id"),
        (CSV_HEAD + "a;Un texte;peut-être;;;;\r\n", "line 2: column 'communication' holds"),
        (CSV_HEAD + 'a;"Deux\r\nlignes";x;;;;\r\nb;Trois;;;;;\r\n', "line 4: nothing marked"),
        ("id;text;securite\r\na;Un texte;x\r\n", "line 1: no theme column"),
        ("id;text;lien;securite\r\na;Un texte;;x\r\n", "line 2: column 'securite' is not a theme"),
        ("id;text;themes\r\na;Un texte;lien\r\nb;Autre;securite\r\n", "line 3: unknown theme"),
    ],
)
def test_bad_csv_batches_name_the_line(tmp_path, content, message):
    path = tmp_path / "lot.csv"
    path.write_text(content, encoding="utf-8-sig")
    with pytest.raises(na.LabelBatchError) as info:
        na.read_batch(path, na.Scheme.default())
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_a_batch_saved_in_windows_1252_is_refused_at_its_line(tmp_path):
    path = tmp_path / "lot.csv"
    content = CSV_HEAD + "a;Un texte;x;;;;\r\nb;Sécurité du quartier;;x;;;\r\n"
    path.write_bytes(content.encode("cp1252"))
    with pytest.raises(na.LabelBatchError, match=r"line 3: not UTF-8"):
        na.read_batch(path, na.Scheme.default())


def test_bad_jsonl_batches_name_the_line(tmp_path):
    path = tmp_path / "lot.jsonl"
    path.write_text('{"id": "a", "text": "x", "themes": ["lien"]}\n{"id": "b", "themes": \n')
    with pytest.raises(na.LabelBatchError, match=r"line 2: not JSON"):
        na.read_batch(path, na.Scheme.default())
    path.write_text('{"id": "a", "themes": ["lien"]}\n\n{"id": "b", "themes": ["securite"]}\n')
    with pytest.raises(na.LabelBatchError, match=r"line 3: unknown theme 'securite'"):
        na.read_batch(path, na.Scheme.default())


def test_unlabelled_rows_can_be_skipped(tmp_path):
    path = tmp_path / "lot.csv"
    path.write_text(CSV_HEAD + "a;Un texte;x;;;;\r\nb;Pas lu;;;;;\r\n;;;;;;\r\n", "utf-8-sig")
    batch = na.read_batch(path, na.Scheme.default(), skip_unlabelled=True)
    assert list(batch.index) == ["a"] and batch.at["a", "themes"] == ["communication"]


def test_formula_like_texts_are_exported_inert(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"text": ['=HYPERLINK("http://x")', "Normal"]}, index=["a", "b"])
    path = na.export_batch(frame, tmp_path / "lot.csv", na.Scheme.default())
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[1][1].startswith("'=") and rows[2][1] == "Normal"


def test_promote_only_if_better(pipeline, tmp_path, embedder):
    scheme = pipeline.scheme
    train, test = na.load_labelled("train"), na.load_labelled("test")
    weak = na.ThemeClassifier(embedder, cv=2).fit(
        [r["text"] for r in train[:60]], [r["themes"] for r in train[:60]], scheme
    )
    strong = pipeline.load_classifier(embedder=embedder)
    registry = na.ModelRegistry(tmp_path / "registry")
    first = registry.add(weak, promote=True)
    comparison = na.compare_models(
        {"actuel": weak, "nouveau": strong}, [r["text"] for r in test], [r["themes"] for r in test]
    )
    summary = comparison.summary()
    assert list(summary.index) == ["actuel", "nouveau"]
    assert comparison.confusion("nouveau").to_numpy().sum() == len(test)
    assert comparison.calibration("nouveau")["n"].sum() == len(test) * len(scheme.theme_ids)
    assert list(comparison.per_theme().index)[:4] == scheme.theme_ids
    better = comparison.metrics["nouveau"]["macro_f1"] > comparison.metrics["actuel"]["macro_f1"]
    assert better  # the model trained on the whole corpus beats one trained on 60 texts
    decision = na.promote_if_better(registry, strong, comparison)
    assert decision.promoted and registry.current == decision.version != first
    assert "held_out" in registry.load(embedder=embedder).card["metrics"]

    reverse = na.compare_models(
        {"actuel": strong, "nouveau": weak}, [r["text"] for r in test], [r["themes"] for r in test]
    )
    kept = na.promote_if_better(registry, weak, reverse)
    assert not kept.promoted and registry.current == decision.version
    assert kept.version in {v["version"] for v in registry.versions()}


def _cluster(cid, theme, members):
    return {
        "id": cid,
        "theme": theme,
        "label": f"Proposition {cid}",
        "keywords": ["mot"],
        "size": len(members),
        "quotes": [{"contribution_id": members[0], "text": "citation", "start": 0}],
    }


def test_write_back_replaces_one_theme_only(pipeline):
    ids = [c.id for c in pipeline.store.contributions()]
    # the new lien proposals hold contributions the pipeline files under lien (a proposal only
    # keeps members of its theme), whichever the classifier of the day picked
    lien = [c.id for c in pipeline.clustering_items() if "lien" in c.themes]
    assert len(lien) >= 4
    clusters = [_cluster("lien-001", "lien", ids[:3]), _cluster("service-001", "service", ids[3:6])]
    members = [
        {"cluster_id": k["id"], "contribution_id": i, "unit_text": "u", "unit_start": 0}
        for k, chunk in zip(clusters, (ids[:3], ids[3:6]), strict=True)
        for i in chunk
    ]
    pipeline.store.save_cluster_run(clusters, members, {"origin": "test"})
    before = na.stored_run(pipeline.store)
    assert na.compare_runs(before, before)["ari"] == 1.0

    new = ClusteringResult(
        clusters=[_cluster("lien-001", "lien", lien[0:2]), _cluster("lien-002", "lien", lien[2:4])],
        members=[
            {"cluster_id": "lien-001", "contribution_id": i, "unit_text": "v", "unit_start": 0}
            for i in lien[0:2]
        ]
        + [
            {"cluster_id": "lien-002", "contribution_id": i, "unit_text": "v", "unit_start": 0}
            for i in lien[2:4]
        ],
        params={"min_cluster_size": 2},
    )
    na.write_back(pipeline, new, "lien")
    frame = na.clusters_frame(pipeline.store)
    assert sorted(frame.index) == ["lien-001", "lien-002", "service-001"]
    after = na.stored_run(pipeline.store)
    service = {k["id"]: set(k["contributions"]) for k in after.clusters}
    assert service["service-001"] == set(ids[3:6]) and service["lien-001"] == set(lien[0:2])
    assert pipeline.store.current_run()[2]["themes_replaced"]["lien"]["min_cluster_size"] == 2
    comparison = na.compare_runs(before, after)
    assert comparison["shared_ids"] == 2 and comparison["shared_same_members"] == 1
    assert comparison["ari"] < 1.0
