"""Sub-proposals: a large proposal's main variants, found by the real clusterer (real spaCy, real
embedder) on answers written as people write them, kept in a real store, corrected by writers,
served by the real server and shown on the pages and in the report."""

from __future__ import annotations

import dataclasses
import os

import httpx
import pytest

from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.labels import label_from_unit, pasteable
from nlp_assises.clustering.subproposals import SubProposals
from nlp_assises.corrections import Correction, Member, apply_corrections
from nlp_assises.ingest import read_records
from nlp_assises.open_question import assignment_rows, cluster_rows
from nlp_assises.records import Record
from nlp_assises.settings import Settings
from tests.conftest import SAMPLE_FORM, Server, create_key, sign_in

# One proposal ("des travaux d'intérêt général") said with three different variants, and two
# answers that say only the proposal. The sample's web form is the rest of the theme.
VARIANTS = {
    "nettoyer": [
        "Des travaux d'intérêt général pour ceux qui dégradent : qu'ils nettoient eux-mêmes les "
        "tags.",
        "travaux d'interet general obligatoires, nettoyer ce qu'ils ont salis, les murs, les "
        "abribus",
        "Je suis pour les travaux d'intérêt général : réparer et nettoyer ce qu'on a cassé, ça "
        "apprend le respect.",
        "Faire nettoyer les graffitis par les jeunes qui les ont faits, en travaux d'intérêt "
        "général.",
        "Des TIG de nettoyage, ramasser les déchets et effacer les tags dans le quartier qu'ils "
        "ont sali.",
        "Travaux d'intérêt général : réparer les dégâts et nettoyer la commune, pas des amendes "
        "qu'ils ne paient jamais.",
    ],
    "associations": [
        "Des travaux d'intérêt général dans les associations, les restos du coeur, les maisons "
        "de retraite.",
        "travaux d'intérêt général auprès des personnes âgées en ehpad, ça leur ferait du bien de "
        "voir autre chose",
        "Je propose des travaux d'intérêt général dans des associations caritatives plutôt que "
        "la prison.",
        "Des TIG au service des associations du quartier, encadrés par des bénévoles.",
        "Travaux d'intérêt général dans les hôpitaux ou les maisons de retraite, au contact des "
        "plus fragiles.",
        "Faire faire des travaux d'intérêt général chez les pompiers ou dans les associations "
        "d'aide aux victimes.",
    ],
    "parents": [
        "Travaux d'intérêt général pour les mineurs, et une amende pour les parents qui laissent "
        "faire.",
        "des travaux d'intérêt général et responsabiliser les parents, supprimer les allocations "
        "si ça recommence",
        "Des TIG pour les jeunes, mais les parents doivent être convoqués et sanctionnés aussi.",
        "Travaux d'intérêt général avec les parents présents, qu'ils voient ce que leur enfant a "
        "fait.",
        "Je demande des travaux d'intérêt général et que les parents paient une amende, ils sont "
        "responsables de leurs enfants.",
        "Travaux d'intérêt général pour le gamin et stage de parentalité obligatoire pour les "
        "parents.",
    ],
    "seul": [
        "Des travaux d'intérêt général, tout simplement.",
        "Il faut des travaux d'intérêt général systématiques pour toutes les incivilités.",
    ],
}
VARIANT_OF = {f"tig-{k}-{i}": k for k, texts in VARIANTS.items() for i, _ in enumerate(texts, 1)}
MINE = {f"tig-{k}-{i}": t for k, texts in VARIANTS.items() for i, t in enumerate(texts, 1)}


def _records() -> list[Record]:
    """The sample's web form and our answers, all in one theme (as labelled input)."""
    form = [dataclasses.replace(r, themes=["service"]) for r in read_records(SAMPLE_FORM)]
    return form + [Record(text=t, id=i, themes=["service"]) for i, t in MINE.items()]


def _parent(clusters) -> dict:
    """The proposal holding most of our answers."""
    get = (lambda c, k: c[k]) if isinstance(clusters[0], dict) else getattr
    return max(clusters, key=lambda c: len(set(get(c, "contributions")) & MINE.keys()))


@pytest.fixture(scope="module")
def fitted(embedder, cleaner):
    """The real clusterer on the theme, twice (a re-run), and the cleaned texts."""
    records = _records()
    texts = [r.text for r in cleaner.clean_many([r.text for r in records])]
    items = [Contribution(r.id, t, ["service"]) for r, t in zip(records, texts, strict=True)]
    clusterer = ProposalClusterer(embedder, known=None)
    prepared = clusterer.prepare(items)
    first = clusterer.fit(items, ["service"], prepared=prepared)
    again = clusterer.fit(items, ["service"])
    first.prepared = prepared  # for the sampled path below
    return first, again, dict(zip([r.id for r in records], texts, strict=True))


def test_the_variants_of_a_large_proposal_become_its_sub_proposals(fitted):
    result, _, texts = fitted
    parent = _parent(result.clusters)
    ours = set(parent["contributions"]) & MINE.keys()
    assert len(ours) >= 12  # the answers make one proposal …
    subs = parent["sub_proposals"]
    assert len(subs) >= 2  # … with variants
    seen_variants = set()
    for number, sub in enumerate(subs, 1):
        assert sub["id"] == f"{parent['id']}.{number}"
        assert sub["size"] == len(sub["contributions"]) >= 3
        assert set(sub["contributions"]) <= set(parent["contributions"])
        variants = {VARIANT_OF[i] for i in sub["contributions"] if i in MINE}
        assert len(variants) == 1 and "seul" not in variants  # one variant each
        seen_variants |= variants
        assert pasteable(sub["label"]), sub["label"]
        # quotes are verbatim, from its members, the label taken from the first one
        assert sub["quotes"] and label_from_unit(sub["quotes"][0]["text"]) == sub["label"]
        for quote in sub["quotes"]:
            assert quote["contribution_id"] in sub["contributions"]
            start = quote["start"]
            assert (
                texts[quote["contribution_id"]][start : start + len(quote["text"])]
                == (quote["text"])
            )
    assert len(seen_variants) == len(subs)  # two sub-proposals never tell the same variant
    sizes = [(s["people"], s["size"]) for s in subs]
    assert sizes == sorted(sizes, reverse=True)
    # an answer that says only the proposal stays at the proposal's level
    in_subs = {i for s in subs for i in s["contributions"]}
    assert not {i for i in ours if VARIANT_OF[i] == "seul"} & in_subs


def test_a_re_run_gives_the_same_sub_proposals(fitted):
    first, again, _ = fitted
    assert [c["sub_proposals"] for c in first.clusters] == [
        c["sub_proposals"] for c in again.clusters
    ]


def test_a_proposal_too_large_to_group_at_once_is_grouped_on_a_sample(fitted, embedder):
    """Above ``max_units`` the variants are found on a sample chosen by content and the others join
    the one they are most alike: the same variants come out, each still one variant."""
    result, _, texts = fitted
    prepared = result.prepared
    sampled = dataclasses.replace(result, clusters=[dict(c) for c in result.clusters])
    by_id = {i: Contribution(i, t, ["service"]) for i, t in texts.items()}
    lemmas_of = dict(zip(prepared.units, prepared.lemmas, strict=True))
    SubProposals(embedder, max_units=14).add(sampled, prepared.units, lemmas_of, by_id)
    subs = _parent(sampled.clusters)["sub_proposals"]
    assert len(subs) >= 2
    for sub in subs:
        assert len({VARIANT_OF[i] for i in sub["contributions"] if i in MINE}) == 1


def test_small_proposals_have_none_and_the_setting_turns_them_off(fitted, embedder):
    result, _, texts = fitted
    assert all(c["sub_proposals"] == [] for c in result.clusters if c["size"] < 12)
    items = [Contribution(i, t, ["service"]) for i, t in texts.items()]
    off = ProposalClusterer(embedder, known=None, sub_min_parent=None).fit(items, ["service"])
    assert all(c["sub_proposals"] == [] for c in off.clusters)
    assert [c["contributions"] for c in off.clusters] == [
        c["contributions"] for c in result.clusters
    ]


def test_clusters_json_and_assignments_keep_their_contract(fitted):
    result, _, texts = fitted
    rows = cluster_rows(result, {})
    for row in rows:
        assert {"id", "theme", "label", "keywords", "size", "contributions", "quotes"} <= set(row)
        assert "centroid" not in row and isinstance(row["sub_proposals"], list)
        for sub in row["sub_proposals"]:
            assert {"id", "label", "keywords", "size", "contributions", "quotes"} <= set(sub)
    assignments = assignment_rows(list(texts), list(texts.values()), result, {})
    parent = _parent(rows)
    for row in assignments:
        assert {"id", "labels", "proposals", "substantive", "sub_proposals"} <= set(row)
        expected = [
            s["id"] for c in rows for s in c["sub_proposals"] if row["id"] in s["contributions"]
        ]
        assert row["sub_proposals"] == expected
        # a contribution is in a sub-proposal only if it is in its parent
        for sub_id in row["sub_proposals"]:
            assert sub_id.rsplit(".", 1)[0] in row["proposals"]
    assert any(r["sub_proposals"] for r in assignments if r["id"] in parent["contributions"])


def test_corrections_carry_the_sub_proposals_along(fitted):
    """Pure rules, on the real run: a contribution leaving its proposal leaves its
    sub-proposal; a sub-proposal below 3 disappears; a rename keeps them; a merge brings the
    merged proposal's variants."""
    result, _, _ = fitted
    info = {i: Member(person=i) for i in {r["contribution_id"] for r in result.members}}
    parent = _parent(result.clusters)
    sub = parent["sub_proposals"][-1]
    leaving = sub["contributions"][: sub["size"] - 2]  # two stay: below 3
    split = Correction(
        "split_proposal", parent["id"], {"label": "À part", "contribution_ids": leaving}, id=1
    )
    rename = Correction("rename_proposal", parent["id"], {"label": "Des TIG"}, id=2)
    run = apply_corrections(result.clusters, result.members, [split, rename], info)
    after = next(c for c in run.clusters if c["id"] == parent["id"])
    assert after["label"] == "Des TIG"
    assert sub["id"] not in [s["id"] for s in after["sub_proposals"]]
    assert [s["id"] for s in after["sub_proposals"]] == [
        s["id"] for s in parent["sub_proposals"][:-1]
    ]
    new = next(c for c in run.clusters if c["id"] == f"{parent['id']}-s1")
    assert new["sub_proposals"] == []
    # one contribution of the first sub-proposal moves out of the theme: it leaves it
    first = parent["sub_proposals"][0]
    moved = Correction("move_contribution", first["contributions"][0], {"themes": ["lien"]}, id=3)
    run = apply_corrections(result.clusters, result.members, [moved], info)
    after = next(c for c in run.clusters if c["id"] == parent["id"])
    kept = next(s for s in after["sub_proposals"] if s["id"] == first["id"])
    assert kept["contributions"] == first["contributions"][1:]
    assert kept["size"] == first["size"] - 1
    # a merge into another proposal of the theme brings the variants along
    other = next(c for c in result.clusters if c["id"] != parent["id"] and c["id"] != new["id"])
    merge = Correction("merge_proposals", other["id"], {"sources": [parent["id"]]}, id=4)
    run = apply_corrections(result.clusters, result.members, [merge], info)
    merged = next(c for c in run.clusters if c["id"] == other["id"])
    assert [s["id"] for s in merged["sub_proposals"]] == [
        *[s["id"] for s in other["sub_proposals"]],
        *[s["id"] for s in parent["sub_proposals"]],
    ]


# -- in the store, through the server, the pages and the report --------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory, models_ready, new_database_url):
    """The pipeline into a fresh store, then `nlp-assises serve` on it with a writer key."""
    from nlp_assises.pipeline import Pipeline

    data_dir = tmp_path_factory.mktemp("subprop") / "var"
    settings = Settings(data_dir=data_dir, models_dir=models_ready, database_url=new_database_url())
    pipeline = Pipeline(settings)
    pipeline.ingest(_records())
    pipeline.cluster_store()
    env = dict(os.environ)
    env["NLP_ASSISES_DATA_DIR"] = str(data_dir)
    env["NLP_ASSISES_MODELS_DIR"] = str(models_ready)
    env.pop("NLP_ASSISES_DATABASE_URL", None)
    if settings.database_url:
        env["NLP_ASSISES_DATABASE_URL"] = settings.database_url
    key = create_key(env, "writer")
    server = Server(env)
    yield pipeline, server, key
    server.stop()


def _stored_parent(pipeline):
    clusters = pipeline.store.current_clusters()
    by_members = {}
    for c in clusters:
        _, rows = pipeline.store.search(cluster=c.id, limit=10_000)
        by_members[c.id] = len({r.id for r, _ in rows} & MINE.keys())
    return next(c for c in clusters if c.id == max(by_members, key=by_members.get))


def test_the_server_the_pages_and_the_report_show_them(site):
    from nlp_assises.report import build_report, to_markdown

    pipeline, server, key = site
    parent = _stored_parent(pipeline)
    stored = parent.sub_proposals
    assert len(stored) >= 2
    headers = {"X-API-Key": key}
    served = httpx.get(f"{server.base}/v1/clusters/{parent.id}", headers=headers, timeout=30)
    assert served.status_code == 200
    subs = served.json()["sub_proposals"]
    assert [(s["id"], s["label"], s["size"], s["contributions"]) for s in subs] == [
        (s["id"], s["label"], s["size"], s["contributions"]) for s in stored
    ]
    listed = httpx.get(f"{server.base}/v1/clusters", headers=headers, timeout=30).json()
    assert next(c for c in listed if c["id"] == parent.id)["sub_proposals"] == subs
    with httpx.Client(base_url=server.base, timeout=30) as client:
        assert sign_in(client, key).status_code in (200, 303)
        page = client.get(f"/propositions/{parent.id}").text
        theme = client.get(f"/themes/{parent.theme}").text
    assert "Ses variantes" in page and "variante(s) de cette proposition" in theme
    for sub in subs:
        label = sub["label"].replace("'", "&#39;")
        assert label in page and label in theme
        assert f'id="{sub["id"]}"' in page
    report = to_markdown(build_report(pipeline.store, pipeline.scheme))
    assert "Ses variantes" in report and all(s["label"] in report for s in subs)


def test_writers_corrections_and_a_re_run_in_the_store(site):
    pipeline, _, _ = site
    parent = _stored_parent(pipeline)
    before = parent.sub_proposals
    # a re-run on the same contributions: the proposal keeps its id, its variants theirs
    pipeline.cluster_store()
    again = _stored_parent(pipeline)
    assert again.id == parent.id
    assert [(s["id"], s["contributions"]) for s in again.sub_proposals] == [
        (s["id"], s["contributions"]) for s in before
    ]
    # a writer splits a variant's members off: they leave the variant, which disappears
    sub = before[0]
    pipeline.correct(
        "split_proposal",
        parent.id,
        {"label": "À part", "contribution_ids": sub["contributions"][: sub["size"] - 2]},
        author="redac",
    )
    after = next(c for c in pipeline.store.current_clusters() if c.id == parent.id)
    assert sub["id"] not in [s["id"] for s in after.sub_proposals]
    assert [s["id"] for s in after.sub_proposals] == [s["id"] for s in before[1:]]
    # and it stays so after the next run (corrections outlive the run they were made on)
    pipeline.cluster_store()
    later = next(c for c in pipeline.store.current_clusters() if c.id == parent.id)
    assert sub["id"] not in [s["id"] for s in later.sub_proposals]
