"""The privacy policy (nlp_assises/privacy.py) per repair kind, on texts cleaned by the real
cleaner; and the pseudonym secret each installation makes for itself."""

from __future__ import annotations

import io
import json
import logging
import stat
import subprocess

import pytest

from nlp_assises import privacy
from nlp_assises.cleaning.pseudonymize import PLACEHOLDER
from nlp_assises.errors import ConfigurationError
from nlp_assises.records import Record
from nlp_assises.settings import Settings
from nlp_assises.store import Store
from tests.conftest import CLI
from tests.privacy_plants import LIBRARY_ONLY, PLANTED, SECRETS, leaks

ALL = PLANTED + LIBRARY_ONLY


@pytest.fixture(scope="module")
def cleaned(cleaner):
    return {p["id"]: cleaner.clean(p["text"]).to_dict() for p in ALL}


def _kinds(result: dict) -> set[str]:
    return {r["kind"] for r in result["repairs"]}


def test_the_plants_cover_every_kind_that_carries_personal_data(cleaned):
    """Each plant does put its personal data in the repair kind it is meant for."""
    kinds = set().union(*(_kinds(r) for r in cleaned.values()))
    expected = {"mojibake", "signature", "quoted_reply", "forward_header", "html"}
    assert expected | {"invalid_unicode", "pdf_accent", "hyphenation", "pseudonym"} <= kinds
    for cid, result in cleaned.items():
        raw = json.dumps(result["repairs"], ensure_ascii=False)
        assert leaks(raw), f"{cid}: nothing planted reached the repairs"


@pytest.mark.parametrize("role", [None, "portal", "writer"])
def test_below_admin_no_repair_and_no_text_carries_planted_data(cleaned, role):
    for cid, result in cleaned.items():
        shown = privacy.classify_view(result, role)
        assert leaks(json.dumps(shown, ensure_ascii=False)) == [], cid
        assert len(shown["repairs"]) == len(result["repairs"])  # every repair is listed


def test_admin_sees_every_repair_as_it_was(cleaned):
    seen = ""
    for result in cleaned.values():
        shown = privacy.classify_view(result, "admin")
        assert shown["repairs"] == result["repairs"] and shown["text"] == result["text"]
        seen += json.dumps(shown, ensure_ascii=False)
    assert [s for s in SECRETS if s not in seen] == []


def test_each_kind_as_a_writer_sees_it(cleaned):
    by_kind: dict[str, list[dict]] = {}
    for result in cleaned.values():
        for r in privacy.repairs_view(result["repairs"], "writer"):
            by_kind.setdefault(r["kind"], []).append(r)
    for kind in ("signature", "quoted_reply", "forward_header", "html", "invalid_unicode"):
        for r in by_kind[kind]:  # a block: its kind, start and length, never its content
            assert r["before"] is None and r["withheld"] == "block" and r["length"] > 0
            assert not r["after"]
    for r in by_kind["pseudonym"]:
        assert r["before"] is None and PLACEHOLDER.fullmatch(r["after"])
    # In-text repairs: withheld inside a name, shown elsewhere.
    mojibake = privacy.repairs_view(cleaned["plant-mojibake"]["repairs"], "writer")[0]
    assert mojibake["kind"] == "mojibake" and mojibake["withheld"] == "personal"
    pdf = privacy.repairs_view(cleaned["plant-pdf"]["repairs"], "writer")
    assert {"before": "geéneérale", "after": "générale"}.items() <= pdf[2].items()
    assert [r.get("withheld") for r in pdf if r["kind"] == "pdf_accent"] == ["personal", None]
    hyphen = [r for r in by_kind["hyphenation"] if r.get("before")]
    assert [(r["before"], r["after"]) for r in hyphen] == [("quar-\ntier", "quartier")]


def test_left_over_occurrences_of_a_name_are_replaced_in_the_text():
    """NER may find a name once and miss it further on: the text a writer reads has it
    replaced wherever it appears as a word (and a contact detail a rule half-replaced)."""
    text = "Je suis [PERSONNE_1]. Les Quintard, [ADRESSE_1].roux@orange.fr, viennent."
    repairs = [{"kind": "pseudonym", "before": "Hélène Quintard", "after": "[PERSONNE_1]"}]
    shown = privacy.text_view(text, repairs, "writer")
    assert shown == "Je suis [PERSONNE_1]. Les [PERSONNE_1], [ADRESSE_1].[EMAIL], viennent."
    assert privacy.text_view(text, repairs, "admin") == text


def test_rule_detectors_catch_what_has_a_shape():
    for text in (
        "écrire à jean.dupont@example.org",
        "appeler le 06 12 34 56 78",
        "voir https://exemple.fr/profil/42",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "au 12 rue des Lilas",
    ):
        assert privacy.rule_findings(text), text
        assert privacy.scrub_rules(text) != text
    assert not privacy.rule_findings("plus de patrouilles à pied le soir")


def test_derived_texts_and_job_errors_lose_what_the_rules_find():
    error = "ValueError: cannot parse 'martine.roux@orange.fr 06 12 34 56 78'"
    assert leaks(privacy.derived_text(error, "writer")) == []
    assert privacy.derived_text(error, "admin") == error


def test_log_lines_go_through_the_policy():
    """The filter the CLI puts on the log handlers scrubs a line and its arguments."""
    stream = io.StringIO()
    logger = logging.getLogger("nlp_assises.test_privacy")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        privacy.install_log_filter(logger)
        logger.warning("cannot read %s", "gisele.marchetti@orange.fr, 06 12 34 56 78")
        try:
            raise ValueError("no contribution from octave.valjean@free.fr")
        except ValueError:
            logger.exception("ingest failed for %s (%d)", ValueError("06 98 76 54 32"), 3)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert leaks(written) == [] and "[EMAIL]" in written and "(3)" in written
    assert "Traceback" in written and "ValueError: no contribution from [EMAIL]" in written


def test_frames_follow_the_policy(settings, cleaner):
    from nlp_assises.frames import contributions_frame, repairs_frame

    store = Store.from_settings(settings)
    store.ingest(
        [Record(text=p["text"], id=p["id"], author="Gisèle Marchetti") for p in PLANTED], cleaner
    )
    writer = repairs_frame(store).to_json(force_ascii=False) + contributions_frame(store).to_json(
        force_ascii=False
    )
    assert leaks(writer) == []
    admin = repairs_frame(store, role="admin").to_json(force_ascii=False)
    assert "gisele.marchetti@orange.fr" in admin
    assert contributions_frame(store)["author"].isna().all()
    assert contributions_frame(store, role="admin")["author"].notna().all()


def test_sub_proposals_follow_the_policy(settings, cleaner):
    """Sub-proposals' labels, keywords and quotes go through the same policy as a proposal's:
    planted in a stored run (quotes: the planted contributions' cleaned texts, where NER left
    a name behind; a label and a keyword carrying an e-mail and a phone, what rules can find in
    a text made from many contributions), none reaches a writer through the views the API, the
    pages, the frames and the report use; an admin sees them."""
    from nlp_assises.frames import clusters_frame
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.report import build_report, to_html, to_markdown
    from nlp_assises.workspace import theme_view

    store = Store.from_settings(settings)
    store.ingest([Record(text=p["text"], id=p["id"]) for p in PLANTED], cleaner)
    ids = [p["id"] for p in PLANTED]
    quotes = [
        {"contribution_id": c.id, "text": c.text, "start": 0} for c in store.contributions(ids)
    ]
    assert leaks(json.dumps(quotes, ensure_ascii=False))  # the plants are there to be removed
    sub = {
        "id": "service-001.1",
        "label": "Écrire à gisele.marchetti@orange.fr ou au 06 12 34 56 78",
        "keywords": ["patrouilles", "octave.valjean@free.fr"],
        "size": len(ids),
        "people": len(ids),
        "contributions": ids,
        "quotes": quotes,
    }
    cluster = {
        "id": "service-001",
        "theme": "service",
        "label": "Plus de patrouilles à pied le soir",
        "keywords": ["patrouilles"],
        "size": len(ids),
        "people": len(ids),
        "share": 1.0,
        "quotes": [],
        "sub_proposals": [sub],
    }
    members = [{"cluster_id": "service-001", "contribution_id": i} for i in ids]
    store.save_cluster_run([cluster], members, {})
    scheme = Pipeline(settings).scheme
    repairs_of = privacy.store_repairs(store)

    def shown(role: str) -> str:
        views = privacy.clusters_view(store.current_clusters(), role, repairs_of)
        one = privacy.cluster_view(store.current_clusters()[0], role, repairs_of)
        report = build_report(store, scheme, role=role)
        cards = theme_view(store, scheme, "service", role=role).proposals
        return "\n".join(
            [
                json.dumps([views, one], ensure_ascii=False, default=str),
                to_markdown(report),
                to_html(report),
                json.dumps([c.sub_proposals for c in cards], ensure_ascii=False),
                clusters_frame(store, role=role).to_json(force_ascii=False, default_handler=str),
            ]
        )

    writer = shown("writer")
    assert "service-001.1" in writer and "patrouilles" in writer  # the variant is shown
    assert leaks(writer) == []
    assert "gisele.marchetti@orange.fr" in shown("admin")


# -- the pseudonym secret ----------------------------------------------------------------------
def test_a_fresh_installation_makes_its_own_secret_and_keeps_it(tmp_path):
    first = Settings(data_dir=tmp_path / "a").resolved_pseudonym_secret
    path = tmp_path / "a" / "pseudonym.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path / "a").resolved_pseudonym_secret == first  # a restart
    assert Settings(data_dir=tmp_path / "b").resolved_pseudonym_secret != first
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["pseudonym.secret"]


def test_authors_get_other_pseudonyms_in_another_installation(tmp_path, cleaner, models_ready):
    pseudonyms = []
    for name in ("a", "b"):
        store = Store.from_settings(Settings(data_dir=tmp_path / name, models_dir=models_ready))
        store.ingest([Record(text="Plus de patrouilles.", author="Gisèle Marchetti")], cleaner)
        pseudonyms.append(store.contributions()[0].author_pseudonym)
    assert pseudonyms[0] != pseudonyms[1] and all(p.startswith("auteur-") for p in pseudonyms)


@pytest.mark.parametrize("weak", ["change-me", "", "secret", "changeme", "short-but-mine"])
def test_a_known_or_short_secret_is_refused(tmp_path, weak):
    settings = Settings(data_dir=tmp_path, pseudonym_secret=weak)
    with pytest.raises(ConfigurationError, match="NLP_ASSISES_PSEUDONYM_SECRET"):
        settings.resolved_pseudonym_secret  # noqa: B018
    from nlp_assises.pipeline import Pipeline

    with pytest.raises(ConfigurationError, match="NLP_ASSISES_PSEUDONYM_SECRET"):
        Pipeline(settings)


def test_a_strong_configured_secret_is_used_as_is(tmp_path):
    strong = "k3J9-vQ2x_Lr8mZt0pWa"
    assert Settings(data_dir=tmp_path, pseudonym_secret=strong).resolved_pseudonym_secret == strong
    assert not (tmp_path / "pseudonym.secret").exists()


def test_serve_refuses_to_start_with_the_default_secret(cli_env):
    env = {**cli_env, "NLP_ASSISES_PSEUDONYM_SECRET": "change-me"}
    done = subprocess.run(
        [*CLI, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "NLP_ASSISES_PSEUDONYM_SECRET" in lines[0], done.stderr
