"""The PDF accent repair never merges words: hand-written French lines, properties on real lines,
and real PDFs drawn with the artifact and read back with pypdf through the project's reader."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp_assises.cleaning.damage import (
    ALLIER_STAND_INS,
    DEJAVU,
    OTHER_STAND_INS,
    write_pdf_with_artifact,
)
from nlp_assises.cleaning.pdf_accents import (
    _PAIR,
    SPACING_ACCENTS,
    PdfAccentRepairer,
    _split_accent,
)
from tests.conftest import REPO, SHARED

REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"


@pytest.fixture(scope="module")
def repairer() -> PdfAccentRepairer:
    return PdfAccentRepairer()


def _stand_ins(text: str, stand_ins: dict[str, str] = ALLIER_STAND_INS) -> str:
    """Each accented letter as base letter + stand-in, spacing untouched: what pypdf reads from a
    PDF drawn that way (``test_real_pdfs_...`` below checks it on real files)."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) == 2 and decomposed[1] in stand_ins:
            out.append(decomposed[0] + stand_ins[decomposed[1]])
        else:
            out.append(char)
    return "".join(out)


# Written one by one: participles before "et", "au", "à"; "à", "où", "ç", capitals, "ï", "ë",
# ligatures, elisions, names; the pairs of the issue ("sécuritéet", "exécutéau", "étévus").
LINES = [
    "La sécurité et la tranquillité des habitants passent avant tout.",
    "Le contrôle a été exécuté au moment où la foule sortait du stade.",
    "Les jeunes ont été vus près de la gare à deux heures du matin.",
    "Un policier est passé à vélo, puis plus personne pendant une semaine.",
    "Où sont passés les gendarmes qui venaient au marché le jeudi ?",
    "Ça commence à bien faire : les rodéos de motos réveillent tout le quartier.",
    "Élus, policiers et habitants doivent se réunir régulièrement.",
    "À Moulins comme à Vichy, l'éclairage public s'éteint trop tôt.",
    "Le maïs a été piétiné par des quads ; l'agriculteur a porté plainte.",
    "Noël approche et les cambriolages reprennent dans les hameaux isolés.",
    "Une caméra installée près de l'école ferait réfléchir les dealers.",
    "Mon fils a été agressé à la sortie du collège, personne n'a réagi.",
    "Il faut que l'État donne des moyens à la police municipale.",
    "Le cœur du problème, c'est l'impunité : rien n'est jamais sanctionné.",
    "Le commissariat est fermé le week-end, on appelle et ça sonne dans le vide.",
    "Les élèves du lycée ont été sensibilisés aux dangers de la drogue.",
    "Notre maire a créé un conseil de sécurité et de prévention de la délinquance.",
    "Dans l'Allier, la ruralité rend les interventions très longues.",
    "Les personnes âgées n'osent plus sortir après dix-neuf heures.",
    "Il a été décidé que la brigade de Cérilly fermerait l'été.",
    "L'hôpital est débordé et les pompiers arrivent après quarante minutes.",
    "Ce n'est pas à nous de faire la police, mais à l'État de protéger.",
    "Une présence régulière des gendarmes à pied rassurerait les commerçants.",
    "J'ai été témoin d'un vol à l'arraché devant la boulangerie.",
    "La vidéoprotection a été installée au centre-ville, pas dans les quartiers.",
    "Le véhicule volé a été retrouvé brûlé près de l'étang.",
    "Les incivilités répétées exaspèrent : tags, crachats, insultes.",
    "Naïf ou pas, je crois encore à la prévention dès l'école primaire.",
    "Une réunion publique a été organisée à Montluçon en décembre.",
    "Le préfet a annoncé la création d'une réserve citoyenne.",
    "Chaque été, les feux de broussailles sont allumés près des maisons.",
    "Le délai de réponse des secours a été jugé inacceptable par les élus.",
    "Les contrôles routiers sont concentrés là où il n'y a aucun danger.",
    "Il a été arrêté, jugé, puis relâché deux jours après.",
    "Qu'on arrête de fermer les gendarmeries de campagne !",
    "Ma sœur a été menacée au téléphone, la plainte a été classée.",
    "Le garçon a reçu un rappel à la loi, ça ne l'a pas arrêté.",
    "ÉCOLE, MAIRIE ET GARE SONT LES LIEUX OÙ IL FAUT ÊTRE PRÉSENT.",
    "Sécurité et santé : deux priorités égales selon les habitants.",
    "La sécurité est-elle assurée au même niveau à Néris qu'à Vichy ?",
]
ISSUE = [
    ("seécuriteé et", "sécurité et"),
    ("exeécuteé au", "exécuté au"),
    ("eé teé vus", "été vus"),
]


@pytest.mark.parametrize(("damaged", "expected"), ISSUE)
def test_the_issue_cases_stay_two_words(repairer, damaged, expected):
    assert repairer.repair(damaged)[0] == expected
    # and inside a sentence, in a document that otherwise kept its spacing
    line = f"Il a {damaged} hier."
    assert repairer.repair(line)[0] == f"Il a {expected} hier."


@pytest.mark.parametrize("line", LINES)
def test_stand_ins_in_place_repair_to_the_line(repairer, line):
    damaged = _stand_ins(line)
    assert damaged != line
    assert repairer.repair(damaged)[0] == line
    assert repairer.repair(line) == (line, [])


@pytest.mark.parametrize(
    ("damaged", "expected"),
    [
        # the producer's space inside a word is taken away when the lexicon knows the word...
        ("les eé lus", "les élus"),
        ("des propositions concreà tes", "des propositions concrètes"),
        ("une preé sence reé gulieàre", "une présence régulière"),
        ("geé neé rale", "générale"),
        ("l'eé cole", "l'école"),
        ("EÉ lus et habitants", "Élus et habitants"),
        # ...never after a word that ends in an accented letter
        ("a eéteé vu", "a été vu"),
        ("il est alleé aà pied", "il est allé à pied"),
        ("c'est laà ouù ils vont", "c'est là où ils vont"),
        ("ils sont arriveés apreàs", "ils sont arrivés après"),
        ("le marcheé couvert", "le marché couvert"),
        # names the lexicon does not know keep their space: split rather than merged
        ("aà Ceé rilly", "à Cé rilly"),
        # two spaces: the producer's space plus the real one
        ("annonceé  la reé daction", "annoncé la rédaction"),
        ("la seécuriteé  inteérieure", "la sécurité intérieure"),
        # a space before punctuation is the writer's unless the producer adds spaces
        ("la seécuriteé , demain", "la sécurité , demain"),
        ("la seécuriteé  publique et la santeé .", "la sécurité publique et la santé."),
        ("ouà  cela ?", "où cela ?"),
        ("la seécuriteé  : voilaà  !", "la sécurité : voilà !"),
        # clean text spaced twice after accented letters is not the marks-apart producer's
        ("Il a été  vu ; c'est à  lui de décider, près  de la gare.", None),
        # a rare word the lexicon knows is not enough: "téqui" against "té qui", "àl"
        ("proprieé teé qui deé passe", "propriété qui dépasse"),
        ("aà l eécole sans apostrophe", "à l école sans apostrophe"),
        # spacing accents drawn over the letter ("e´"), but "´" used as an apostrophe stays
        ("la se´curite´ et la sante´ ge´ne´rale", "la sécurité et la santé générale"),
        ("Noe¨l, mai¨s, c¸a, ou` et a` pied", "Noël, maïs, ça, où et à pied"),
        ("l´école, aujourd´hui, qu´il", "l´école, aujourd´hui, qu´il"),
        # marks drawn apart from their letter: composed, then a space inside the word
        ("la sé curité  et la santé  gé né rale", "la sécurité et la santé générale"),
        ("É lus à  Noë l, ils ont é té  vus", "Élus à Noël, ils ont été vus"),
    ],
)
def test_spaces_around_pairs(repairer, damaged, expected):
    assert repairer.repair(damaged)[0] == (damaged if expected is None else expected)


def _real_lines() -> list[str]:
    """Real French: the sample consultation's sources and, when present, the Grand Débat."""
    lines = []
    for path in sorted((REPO / "data" / "sample_sources").glob("sample_*.jsonl")):
        for row in map(json.loads, path.read_text().splitlines()):
            if row.get("lang", "fr") == "fr":
                lines += [" ".join(line.split()) for line in row["body"].split("\n")]
    if REALDATA.is_file():
        lines += [json.loads(line)["text"] for line in REALDATA.read_text().splitlines() if line]
    return [line for line in lines if re.search(r"[^\W\d_]{3}", line)]


REAL_LINES = _real_lines()


def test_clean_real_french_is_never_changed(repairer):
    if not REALDATA.is_file():
        print(f"{REALDATA} is absent: only the sample's lines are checked")
    changed = [line for line in REAL_LINES if repairer.repair(line)[0] != line]
    assert len(REAL_LINES) > 1000 and changed == []


def _naive(token: str) -> str:
    """Every pair read as its accented letter, whatever the lexicon says."""
    return re.sub(
        _PAIR,
        lambda m: unicodedata.normalize("NFC", m.group(0)[0] + _split_accent(m.group(0)[1])[1]),
        token,
    )


@st.composite
def damaged_lines(draw):
    """A real line with the artifact: a stand-in after each accented letter (Allier's glyphs,
    another producer's, or spacing accents), now and then a space after a pair inside a word, and
    the document's spacing kept or with one more space after each word-final pair."""
    line = draw(st.sampled_from(REAL_LINES))
    spacing = {mark: glyph for glyph, mark in reversed(SPACING_ACCENTS.items())}
    stand_ins = draw(st.sampled_from([ALLIER_STAND_INS, OTHER_STAND_INS, spacing]))
    rng = draw(st.randoms(use_true_random=False))
    inner_space = draw(st.sampled_from([0.0, 0.2, 0.6]))
    extra_space = draw(st.booleans())
    out = []
    for i, char in enumerate(line):
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) != 2 or decomposed[1] not in stand_ins:
            out.append(char)
            continue
        out.append(decomposed[0] + stand_ins[decomposed[1]])
        following = line[i + 1 : i + 2]
        inside_a_word = following.isalpha() and rng.random() < inner_space
        if inside_a_word or (following == " " and extra_space):
            out.append(" ")
    return line, "".join(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_lines())
def test_repairing_the_artifact_never_merges_words(repairer, case):
    """Every word of the repaired line is a word of the original or a piece of one (a word left
    split, or left unrepaired): never two words of the original glued together."""
    line, damaged = case
    repaired, _ = repairer.repair(damaged)
    original = line.split()
    for token in repaired.split():
        pieces = (token, _naive(token))  # "Préfet" holds "ré" too
        assert any(p in word for p in pieces for word in original), (token, line, damaged)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(REAL_LINES))
def test_repairing_clean_real_french_never_changes_it(repairer, line):
    assert repairer.repair(line) == (line, [])


@pytest.mark.skipif(  # CI installs the font (make fonts): there, a missing font fails
    not Path(DEJAVU).is_file() and not os.environ.get("CI"),
    reason="DejaVu Sans is absent (make fonts, or apt-get install fonts-dejavu-core)",
)
@pytest.mark.parametrize(
    "style",
    ["stand_in", "stand_in_spaced", "spacing_accent", "decomposed", "mark_apart", "precomposed"],
)
def test_real_pdfs_read_back_with_pypdf_are_repaired_word_by_word(tmp_path, style):
    """PDFs drawn with the artifact (fpdf2, a TrueType font), read by the project's own reader
    (pypdf), cleaned: every word comes back, none merged, none damaged."""
    from nlp_assises.cleaning import Cleaner
    from nlp_assises.ingest import read_records

    cleaner = Cleaner(pseudonymize=False, detect_language=False, email_cleanup=False)
    letters = [" ".join(LINES[i : i + 8]) for i in range(0, len(LINES), 8)]
    for n, letter in enumerate(letters):
        path = tmp_path / f"lettre-{n}.pdf"
        write_pdf_with_artifact(letter, path, style)
        (record,) = read_records(path)
        if style == "stand_in":  # pypdf gives the pairs in place, the text's spacing untouched
            assert " ".join(record.text.split()) == _stand_ins(letter)
        if style != "precomposed":
            assert " ".join(record.text.split()) != letter
        cleaned = cleaner.clean(record.text).text.split()
        words = letter.split()
        for token in cleaned:  # no merge: each word is a word of the letter or a piece of one
            assert any(token in word for word in words), (token, record.text)
        if style not in ("stand_in_spaced", "mark_apart"):
            assert cleaned == words, record.text
        else:  # a space after a letter is taken away only where the lexicon knows the word made
            missing = set(words) - set(cleaned)
            assert missing <= {"Cérilly"}, (missing, record.text)
