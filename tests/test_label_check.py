"""A small proposal keeps the members that say its label (clustering/label_check.py): the rule
on sentences, then the clusterer and the placing of new contributions applying it (real spaCy
model, real embedder, the team's held-out writer)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.clustering.label_check import LabelCheck
from nlp_assises.clustering.labels import content_stems
from nlp_assises.clustering.placement import Placement, place
from nlp_assises.clustering.units import Unit
from nlp_assises.datasets import load_labelled

THEMES = ["participation", "service", "communication", "lien"]


def test_a_member_says_a_label_when_it_says_half_its_content_words():
    check = LabelCheck()
    words = content_stems("Rétablir le service militaire")
    assert words == {"retab", "servi", "milit"}  # generic words ("plus", "police") apart
    assert check.says(words, "Un service militaire obligatoire pour les jeunes")  # two of three
    assert not check.says(words, "Le service civique pour tous")  # one of three
    assert not check.says(words, "Éduquer les enfants dès l'école primaire")
    assert not LabelCheck(share=1.0).says(words, "Un service militaire obligatoire")
    assert check.says(frozenset(), "a label without content words asks nothing")


def _units(texts: list[str]) -> list[Unit]:
    return [Unit(f"c{k}", text, 0, True) for k, text in enumerate(texts)]


def test_a_small_group_keeps_the_members_that_say_its_label_and_its_label_sentence():
    label = "Rétablir le service militaire"
    units = _units(
        [
            "Rétablir le service militaire",  # the label's sentence
            "Un service militaire obligatoire",
            "Le retour du service militaire",
            "Le service civique pour tous",  # one word of three: leaves
            "Éduquer les enfants",  # none: leaves
        ]
    )
    assert LabelCheck().keep(range(5), units, label, units[0]) == [0, 1, 2]
    # the label's sentence stays even when it does not say the label's words (a cut label)
    alone = LabelCheck(min_size=1).keep(range(5), units, "Installer des caméras", units[0])
    assert alone == [0]
    # all three words: only the label's sentence stays, fewer than three: the group is not shown
    assert LabelCheck(share=1.0, min_size=1).keep(range(5), units, label, units[0]) == [0]
    assert LabelCheck(share=1.0).keep(range(5), units, label, units[0]) == []


def test_a_group_the_check_does_not_apply_to_keeps_every_member():
    units = _units(["Plus de caméras", "Éduquer les enfants", "Des amendes", "Punir"])
    label = "Plus de caméras"
    assert LabelCheck(below=4).keep(range(4), units, label, units[0]) == [0, 1, 2, 3]
    assert LabelCheck(below=None).keep(range(4), units, label, units[0]) == [0, 1, 2, 3]
    assert LabelCheck(below=5).keep(range(4), units, label, units[0]) == []


def _small_members_not_saying_their_label(result, below: int = 30) -> list[tuple[str, str]]:
    check = LabelCheck(below=below)
    labels = {c["id"]: c["label"] for c in result.clusters}
    size = {c["id"]: c["size"] for c in result.clusters if c["id"] in labels}
    # a group's size as grouped is at least its size as shown: only groups shown under
    # ``below`` can be asserted on
    return [
        (labels[m["cluster_id"]], m["unit_text"])
        for m in result.members
        if m["cluster_id"] in labels
        and size[m["cluster_id"]] < below
        and not check.says(content_stems(labels[m["cluster_id"]]), m["unit_text"])
    ]


@pytest.fixture(scope="module")
def writer_e():
    rows = load_labelled("test")
    return [
        Contribution(
            id=r["id"], text=r["text"], themes=[t for t in r["themes"] if t != "hors_theme"]
        )
        for r in rows
    ]


def test_the_clusterer_shows_small_proposals_over_members_that_say_their_label(embedder, writer_e):
    """With the check (an option, off by default), every member of a small proposal says half
    its label's content words; without it, on the same contributions, some do not."""
    checked = ProposalClusterer(embedder, known=None, label_check_below=30).fit(writer_e, THEMES)
    unchecked = ProposalClusterer(embedder, known=None).fit(writer_e, THEMES)
    assert unchecked.params["label_check_below"] is None
    assert checked.clusters and not _small_members_not_saying_their_label(checked)
    assert _small_members_not_saying_their_label(unchecked)
    # kept members keep the label they had: the check removes, it never renames
    before = {c["label"] for c in unchecked.clusters}
    assert {c["label"] for c in checked.clusters} <= before
    assert checked.params["label_check_below"] == 30


def test_placing_new_contributions_follows_the_same_rule(embedder, writer_e):
    """A fit on some contributions, the others placed by its rule: a placed sentence joins a
    small proposal only when it says half its label's words; without the rule, some would."""
    clusterer = ProposalClusterer(embedder, known=None, label_check_below=30)
    result = clusterer.fit(writer_e[:150], THEMES)
    placement = Placement.from_fit(clusterer, result)
    checked = {  # proposal id → its label's words, for the small proposals the fit checked
        fitted.names[topic]: said
        for fitted in placement.groupings.values()
        for topic, said in fitted.label_words.items()
        if fitted.names.get(topic)
    }
    assert checked  # the fit had small proposals to check
    lax = replace(
        placement,
        groupings={t: replace(f, label_check=None) for t, f in placement.groupings.items()},
    )
    check = LabelCheck()

    def refused(placed) -> list[str]:
        return [
            m["unit_text"]
            for m in placed.members
            if m["cluster_id"] in checked
            and not check.says(checked[m["cluster_id"]], m["unit_text"])
        ]

    assert not refused(place(clusterer, writer_e[150:], placement))
    assert refused(place(clusterer, writer_e[150:], lax))
