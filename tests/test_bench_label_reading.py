"""bench/label_reading.py's scoring: a verdict counts while the answer's proposal still has the
label its reader saw; an answer two readers read counts half for each; decoys only check the
readers."""

from __future__ import annotations

import sys

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

from label_reading import kappa, label_hash, split_option_rounds, summary


def _row(answer: str, label: str, reader: str, verdict: str, decoy: bool = False) -> dict:
    return {
        "round": 1,
        "id": answer,
        "label_sha": label_hash(label),
        "decoy": decoy,
        "reader": reader,
        "verdict": verdict,
    }


def test_verdicts_count_while_their_label_stands_and_shared_answers_count_half():
    rows = [
        _row("a1", "Plus de police", "A", "oui"),
        _row("a1", "Plus de police", "B", "non"),  # read by both: half each
        _row("a2", "Ne rien laisser passer", "A", "oui"),
        _row("a3", "Éduquer et punir", "B", "en partie"),
        _row("a4", "Un label devenu autre", "A", "non"),  # its label changed since: not judged
        _row("d1", "Plus de police", "A", "oui", decoy=True),
        _row("d2", "Plus de police", "B", "non", decoy=True),
    ]
    now = {
        "a1": label_hash("Plus de police"),
        "a2": label_hash("Ne rien laisser passer"),
        "a3": label_hash("Éduquer et punir"),
        "a4": label_hash("Éduquer"),
    }
    main = {"a1": "p1", "a2": "p2", "a3": "p3", "a4": "p4"}
    figures = summary(rows, now, main)
    assert figures["answers_judged"] == 3
    assert figures["verdicts_no_longer_judged"] == 1
    # a1: 0.5 made, a2: 1, a3: 0, over 3 answers
    assert figures["make_the_label"] == round(1.5 / 3, 4)
    assert figures["make_it_or_in_part"] == round(2.5 / 3, 4)
    assert figures["by_reader"]["A"]["decoys_said_oui"] == 1.0
    assert not figures["by_reader"]["A"]["trusted"]
    assert figures["by_reader"]["B"]["trusted"]
    assert figures["agreement"]["answers_read_by_both"] == 1


def test_a_readers_own_share_counts_each_of_their_answers_once():
    """An answer two readers read counts half in the pooled figure, whole in each reader's."""
    rows = [
        _row("a1", "Plus de police", "A", "non"),
        _row("a1", "Plus de police", "B", "oui"),
        _row("a2", "Ne rien laisser passer", "A", "oui"),
    ]
    now = {"a1": label_hash("Plus de police"), "a2": label_hash("Ne rien laisser passer")}
    figures = summary(rows, now, {"a1": "p1", "a2": "p2"})
    assert figures["by_reader"]["A"]["make_the_label"] == 0.5
    assert figures["by_reader"]["B"]["make_the_label"] == 1.0
    assert figures["make_the_label"] == 0.75  # a1: half made, a2: made


def test_kappa_is_one_for_agreement_and_zero_by_chance():
    assert kappa([("oui", "oui"), ("non", "non"), ("oui", "oui"), ("non", "non")]) == 1.0
    assert kappa([("oui", "oui"), ("oui", "non"), ("non", "oui"), ("non", "non")]) == 0.0
    assert kappa([]) is None


def test_a_paired_reading_compares_each_answer_with_both_labels():
    """Each answer's verdicts with one label are averaged over its readers; an answer read with
    one label only is left out; decoys only check the readers."""
    from label_reading import paired_summary

    def pair(answer: str, which: str, reader: str, verdict: str) -> dict:
        label = {"old": "Montrer l'exemple et Sanctionner", "new": "Montrer l'exemple"}
        return {
            "study": "s",
            "id": answer,
            "label_sha": label_hash(label.get(which, "Autre")),
            "which": which,
            "reader": reader,
            "verdict": verdict,
        }

    rows = [
        pair("a1", "old", "P", "en partie"),
        pair("a1", "old", "R", "oui"),  # a1 old: half "oui"
        pair("a1", "new", "Q", "oui"),
        pair("a1", "new", "S", "oui"),
        pair("a2", "old", "P", "non"),
        pair("a2", "new", "Q", "en partie"),
        pair("a3", "old", "R", "oui"),  # never read with the new label: left out
        pair("d1", "decoy", "P", "oui"),
        pair("d2", "decoy", "P", "non"),
    ]
    figures = paired_summary(rows)
    assert figures["answers"] == 2 and figures["labels_changed_read"] == 1
    assert figures["oui_old"] == round((0.5 + 0) / 2, 4)
    assert figures["oui_new"] == round((1 + 0) / 2, 4)
    assert figures["non_old"] == 0.5 and figures["non_new"] == 0.0
    assert figures["oui_or_in_part_new"] == 1.0
    assert figures["decoys_said_oui"]["P"] == 0.5


def test_a_round_read_on_an_option_of_the_clusterer_is_kept_apart_from_the_default():
    """A round drawn with ``--params`` reads another clustering: its verdicts never enter the
    default's figures, and an answer read there by three readers counts a third for each."""
    option = {"label_check_below": 30}
    default = [_row("a1", "Plus de police", "A", "oui"), _row("a2", "Punir", "B", "non")]
    seventh = [
        {**_row(answer, "Punir", reader, verdict), "round": 7, "params": option}
        for answer, reader, verdict in [
            ("a3", "M", "oui"),
            ("a3", "O", "oui"),
            ("a3", "N", "non"),
            ("a4", "N", "oui"),
        ]
    ]
    rows, by_option = split_option_rounds([*default, *seventh])
    assert rows == default and list(by_option) == [7] and by_option[7] == seventh
    now = {"a3": label_hash("Punir"), "a4": label_hash("Punir")}
    figures = summary(by_option[7], now, {"a3": "p1", "a4": "p1"})
    assert figures["answers_judged"] == 2
    assert abs(figures["make_the_label"] - (2 / 3 + 1) / 2) < 1e-3
