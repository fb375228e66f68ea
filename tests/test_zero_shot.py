"""The zero-shot classifier (no label at all) and the scheme fields it reads (real embedder)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp_assises.classify import ZeroShotClassifier, load_model
from nlp_assises.datasets import load_independent
from nlp_assises.errors import ConfigurationError
from nlp_assises.scheme import HORS_THEME, Scheme

PLAIN = """
name = "velo"
[[themes]]
id = "pistes"
label = "Pistes cyclables"
description = "aménagement de pistes cyclables sûres et continues"
[[themes]]
id = "vols"
label = "Vols de vélos"
description = "vols de vélos et stationnement sécurisé"
"""


@pytest.fixture(scope="module")
def model(embedder):
    # The consultation's unlabelled texts: only their words and score scale are used.
    pool = [r["text"] for r in load_independent("train")]
    return ZeroShotClassifier(embedder).fit(Scheme.default(), pool)


def test_scheme_phrases_are_read_and_optional(tmp_path):
    scheme = Scheme.default()
    assert scheme.off_topic and all(t.scope and len(t.examples) >= 5 for t in scheme.themes)
    assert Scheme.from_dict(scheme.to_dict()) == scheme

    (tmp_path / "plain.toml").write_text(PLAIN)
    plain = Scheme.load(tmp_path / "plain.toml")
    assert plain.off_topic == () and all(t.scope == "" and not t.examples for t in plain.themes)
    assert "off_topic" not in plain.to_dict()
    assert set(plain.to_dict()["themes"][0]) == {"id", "label", "description"}

    (tmp_path / "bad.toml").write_text(PLAIN.replace('id = "vols"', 'id = "vols"\nexamples = 3'))
    with pytest.raises(ConfigurationError, match="examples"):
        Scheme.load(tmp_path / "bad.toml")


def test_every_decision_goes_to_review_with_scores_in_unit_interval(model):
    texts = [r["text"] for r in load_independent("test")[:200]]
    decisions = model.predict(texts)
    assert all(d.needs_review for d in decisions)
    for d in decisions:
        assert all(0.0 <= s <= 1.0 for s in d.scores.values())
        assert sum(d.scores.values()) <= 1.0 + 1e-3
        assert d.primary == (d.labels[0] if d.labels else HORS_THEME)
    assert {d.primary for d in decisions} == {*Scheme.default().theme_ids, HORS_THEME}
    assert model.card["calibrated"] is False


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Je voudrais pouvoir porter plainte sur internet sans me déplacer.", "communication"),
        ("Une appli sur le portable pour envoyer un message aux gendarmes.", "communication"),
        ("Il faut plus de patrouilles de police la nuit dans notre ville.", "service"),
        ("On appelle le 17 et personne ne vient, les cambriolages continuent.", "service"),
        ("Il faut remettre une vraie police de proximité qui connaît les habitants.", "lien"),
        ("Les jeunes n'ont plus confiance dans la police, il faut renouer le dialogue.", "lien"),
        ("Je suis prêt à devenir voisin vigilant et bénévole dans mon quartier.", "participation"),
        ("Les juges doivent donner des peines de prison plus lourdes.", HORS_THEME),
        ("Les impôts locaux ont encore augmenté cette année.", HORS_THEME),
    ],
)
def test_unambiguous_contributions_get_their_theme(model, text, theme):
    assert model.predict([text])[0].primary == theme


def test_round_trip_is_exact_and_safe(model, embedder, tmp_path):
    model.save(tmp_path / "zs")
    assert {p.name for p in (tmp_path / "zs").iterdir()} == {
        "prototypes.npz",
        "zero_shot_words.json",
        "model_card.json",
    }
    loaded = load_model(tmp_path / "zs", embedder)
    texts = ["Porter plainte en ligne.", "Mes impôts ont doublé.", "Plus de patrouilles."]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    assert loaded.scheme == Scheme.default()


def test_folders_of_the_old_zero_shot_still_load(embedder, tmp_path):
    old = ZeroShotClassifier(embedder, method="description").fit(Scheme.default())
    old.save(tmp_path / "old")
    card_path = tmp_path / "old" / "model_card.json"
    card = json.loads(card_path.read_text())
    # What the old model wrote: four parameters and a scheme without the optional phrases.
    card["params"] = {
        "temperature": 0.03,
        "min_similarity": 0.3,
        "label_share": 0.3,
        "review_below": 0.6,
    }
    card["scheme"] = Scheme.from_dict(PLAIN_DEFAULT).to_dict()
    card_path.write_text(json.dumps(card))
    loaded = load_model(tmp_path / "old", embedder)
    assert loaded.method == "description"
    texts = ["Porter plainte en ligne.", "Devenir voisin vigilant."]
    assert np.allclose(loaded.predict_proba(texts), old.predict_proba(texts), atol=1e-6)
    assert all(d.needs_review for d in loaded.predict(texts))


def test_a_scheme_without_phrases_still_works(embedder, tmp_path):
    (tmp_path / "plain.toml").write_text(PLAIN)
    scheme = Scheme.load(tmp_path / "plain.toml")
    texts = [
        "On m'a encore volé mon vélo devant la gare.",
        "Il manque une piste cyclable continue sur le boulevard.",
        "Le prix du pain augmente.",
    ]
    model = ZeroShotClassifier(embedder).fit(scheme, texts)
    decisions = model.predict(texts)
    assert [d.primary for d in decisions[:2]] == ["vols", "pistes"]
    assert all(d.needs_review for d in decisions)
    fitted_alone = ZeroShotClassifier(embedder).fit(scheme)  # no texts at all
    assert fitted_alone.predict(texts[:1])[0].primary == "vols"


PLAIN_DEFAULT = {
    "name": "assises-2020",
    "themes": [
        {"id": t.id, "label": t.label, "description": t.description}
        for t in Scheme.default().themes
    ],
}
