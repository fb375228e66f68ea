"""The answers to one open question clustered without themes: ``na.cluster_texts`` (the CLI's
``cluster --no-themes`` is tested in test_cli.py on the same answers)."""

from __future__ import annotations

import json
import random

import pytest

from nlp_assises.non_answers import NonAnswerDetector
from tests.conftest import REPO, SHARED

REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"
# used only when ../shared is absent, added to the sample's web form
WRITTEN_NON_ANSWERS = ["RAS", "Voir ci-dessus.", "pas d'avis", "?", "Néant", "idem", "NSP"]


def open_question_rows(n: int = 150) -> tuple[list[dict], set[str]]:
    """About ``n`` answers to one question and the ids of the non-answers among them: real
    Grand Débat answers (ten non-answers, the rest a seeded sample) when ../shared is there,
    else the sample consultation's web form with a few written non-answers."""
    detector = NonAnswerDetector()
    if REALDATA.is_file():
        rows = [json.loads(x) for x in REALDATA.read_text(encoding="utf-8").splitlines()]
        apart = [r for r in rows if detector.is_non_answer(r["text"])][:10]
        others = [r for r in rows if not detector.is_non_answer(r["text"])]
        chosen = apart + random.Random(0).sample(others, n - len(apart))
        return [{"id": r["id"], "text": r["text"]} for r in chosen], {r["id"] for r in apart}
    from nlp_assises.ingest import read_records

    records = list(read_records(REPO / "nlp_assises/data/sample/formulaire.csv"))
    rows = [{"id": r.id, "text": r.text} for r in records[: n - len(WRITTEN_NON_ANSWERS)]]
    written = [{"id": f"na-{i}", "text": t} for i, t in enumerate(WRITTEN_NON_ANSWERS)]
    return rows + written, {r["id"] for r in written}


def check_open_question_output(clusters: list[dict], assignments: list[dict], rows, apart):
    """The contract of ``cluster --no-themes`` (shared with test_cli.py)."""
    assert clusters and len(assignments) == len(rows)
    assert [a["id"] for a in assignments] == [r["id"] for r in rows]
    members = set()
    for c in clusters:
        assert {"id", "theme", "label", "keywords", "size", "contributions", "quotes"} <= set(c)
        assert c["theme"] is None and c["id"].startswith("reponses-")  # no Assises proposal
        assert c["size"] == len(c["contributions"]) and c["label"] and c["quotes"]
        for q in c["quotes"]:
            assert {"contribution_id", "text"} <= set(q) and q["contribution_id"] in c[
                "contributions"
            ]
        members |= set(c["contributions"])
    by_id = {a["id"]: a for a in assignments}
    for a in assignments:
        assert a["labels"] == [] and isinstance(a["substantive"], bool)
        assert set(a["proposals"]) <= {c["id"] for c in clusters}
    assert {i for i, a in by_id.items() if not a["substantive"]} == apart
    assert not apart & members and not any(by_id[i]["proposals"] for i in apart)
    assert all(by_id[i]["non_answer"] for i in apart)
    assert len(members) > len(rows) / 3  # the substantive answers are clustered


@pytest.mark.slow
def test_cluster_texts_clusters_one_question_without_themes(settings, embedder):
    import nlp_assises as na

    rows, apart = open_question_rows()
    result = na.cluster_texts(
        [r["text"] for r in rows], ids=[r["id"] for r in rows], settings=settings, embedder=embedder
    )
    check_open_question_output(result.clusters, result.assignments, rows, apart)
    assert set(result.non_answers) == apart
    assert result.params["known_proposals"] is None and result.params["themes"] is None
    frame = result.clusters_frame()
    assert list(frame.columns[:6]) == [
        "theme",
        "label",
        "keywords",
        "size",
        "contributions",
        "quotes",
    ]
    assert frame["theme"].isna().all() and frame["size"].sum() >= len(frame)
    answers = result.assignments_frame()
    assert list(answers.index) == [r["id"] for r in rows]
    assert set(answers.index[~answers["substantive"]]) == apart
    assert answers.loc[sorted(apart), "clusters"].map(len).eq(0).all()
    # the same texts give the same clusters (fixed random_state), with positions as ids
    again = na.cluster_texts([r["text"] for r in rows], settings=settings, embedder=embedder)
    assert again.assignments_frame().index.tolist() == [str(i) for i in range(len(rows))]
    position = {r["id"]: str(i) for i, r in enumerate(rows)}

    def partition(clusters, rename=lambda i: i):
        return {frozenset(rename(i) for i in c["contributions"]) for c in clusters}

    assert partition(again.clusters) == partition(result.clusters, position.get)
    assert sorted(c["label"] for c in again.clusters) == sorted(c["label"] for c in result.clusters)


@pytest.mark.slow
def test_the_same_answers_in_another_order_give_the_same_proposals(settings, embedder):
    """Grouping reads a sample of the units when there are many (``max_fit_units``); drawn by
    position, another order of the same answers drew another sample and other proposals (on the
    7,237 real answers, ARI 0.69 between two orders). Now the sample is chosen by content and
    the answers are read in one order: the proposals, labels and quotes are the same."""
    import nlp_assises as na

    rows, _ = open_question_rows()
    texts, ids = [r["text"] for r in rows], [r["id"] for r in rows]
    order = list(reversed(range(len(rows))))
    params = {"settings": settings, "embedder": embedder, "max_fit_units": 40}
    one = na.cluster_texts(texts, ids=ids, **params)
    other = na.cluster_texts([texts[i] for i in order], ids=[ids[i] for i in order], **params)

    def proposals(result):
        return sorted(
            (c["label"], sorted(c["contributions"]), [q["text"] for q in c["quotes"]])
            for c in result.clusters
        )

    assert len(one.clusters) >= 3 and proposals(one) == proposals(other)
    by_id = {a["id"]: a for a in one.assignments}
    assert by_id == {a["id"]: a for a in other.assignments}


def test_cluster_texts_rejects_bad_ids(settings):
    import nlp_assises as na
    from nlp_assises.errors import InputError

    with pytest.raises(InputError, match="2 ids for 1 texts"):
        na.cluster_texts(["Plus de patrouilles"], ids=["a", "b"], settings=settings)
    with pytest.raises(InputError, match="unique"):
        na.cluster_texts(["RAS", "Idem"], ids=["a", "a"], settings=settings)
    with pytest.raises(InputError, match="no text"):
        na.cluster_texts([], settings=settings)
