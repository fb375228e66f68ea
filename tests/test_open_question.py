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


# Ten answers that repeat the question ("les pouvoirs publics doivent…") each about something
# else, and three proposals made in their own words.
REPEATING_THE_QUESTION = [
    "Les pouvoirs publics doivent montrer l'exemple.",
    "Les pouvoirs publics doivent être plus présents dans les quartiers.",
    "Que les pouvoirs publics arrêtent de fermer les yeux.",
    "Les pouvoirs publics devraient écouter les habitants.",
    "les pouvoirs publics doivent faire leur travail",
    "Aux pouvoirs publics de prendre leurs responsabilités !",
    "Les pouvoirs publics ne font rien, il faut que ça change.",
    "Je pense que les pouvoirs publics doivent éduquer avant de punir.",
    "Pouvoirs publics : soyez fermes.",
    "Les pouvoirs publics doivent financer les associations de quartier.",
]
OWN_WORDS = [
    "Installer des caméras de vidéosurveillance dans les rues.",
    "Plus de caméras de surveillance en centre-ville.",
    "Des caméras dans les halls d'immeubles.",
    "Mettre des caméras devant les écoles.",
    "vidéosurveillance partout dans les transports",
    "Des travaux d'intérêt général pour les jeunes qui dégradent.",
    "Travaux d'intérêt général obligatoires pour les casseurs.",
    "Faire nettoyer les tags par ceux qui les ont faits, travaux d'intérêt général.",
    "TIG systématiques, travaux d'intérêt général.",
    "Plus de policiers à pied dans les rues.",
    "Des policiers dans les rues le soir.",
    "Remettre des policiers dans la rue, pas dans les bureaux.",
    "Plus de police de proximité.",
]
QUESTION = "Que peuvent et doivent faire les pouvoirs publics pour répondre aux incivilités ?"


@pytest.mark.slow
def test_the_questions_own_words_make_no_cluster(settings, embedder):
    """Given the question, its words are never a group's core word nor a keyword: answers
    held together only by "les pouvoirs publics doivent…" leave their group, and the answers
    that share a proposal in their own words stay grouped. (Every group is checked here:
    the default leaves groups under 8 answers unchecked.)"""
    import nlp_assises as na
    from nlp_assises.clustering.lemmas import LemmaAnalyzer, question_words

    asked = question_words(QUESTION, LemmaAnalyzer({}, drop_generic=False))
    assert {"pouvoir", "public", "incivilité", "répondre"} <= asked
    texts = REPEATING_THE_QUESTION + OWN_WORDS
    repeating = {str(i) for i in range(len(REPEATING_THE_QUESTION))}
    params = {"settings": settings, "embedder": embedder, "core_from_size": None}

    def held_by_the_question(result) -> list[dict]:
        return [c for c in result.clusters if set(c["contributions"]) <= repeating]

    without = na.cluster_texts(texts, **params)
    assert held_by_the_question(without)  # what the question's words did
    given = na.cluster_texts(texts, question=QUESTION, **params)
    assert not held_by_the_question(given), [c["label"] for c in given.clusters]
    assert given.params["question"] == QUESTION
    kept = {frozenset(c["contributions"]) for c in given.clusters}
    assert kept == {frozenset(c["contributions"]) for c in without.clusters} - {
        frozenset(c["contributions"]) for c in held_by_the_question(without)
    }
    assert not any("public" in k for c in given.clusters for k in c["keywords"])
