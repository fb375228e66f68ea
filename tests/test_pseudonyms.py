"""Pseudonymisation measured on real text against hand-made labels (bench/pseudonyms.py), and
the rules behind the figures: capitalised verbs and common words are not names; signatures,
initials and e-mails under an address are personal data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, SHARED

REALDATA = SHARED / "realdata" / "granddebat_q134_incivilites.jsonl"


@pytest.fixture(scope="module")
def figures() -> dict:
    """The benchmark, run as `make bench` runs it; its JSON is the last line it prints."""
    done = subprocess.run(
        [sys.executable, "pseudonyms.py"],
        cwd=REPO / "bench",
        capture_output=True,
        text=True,
        timeout=1200,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_precision_on_real_text_held_out_half(figures):
    """On the half of the labelled answers no rule was chosen on: at most 3 spans in 1,000
    answers replaced that are no personal data (13.4 before issue 15, 2.8 now), and every
    replaced span was judged by hand (a new one needs a label)."""
    if not REALDATA.is_file():
        pytest.skip(f"{REALDATA} is absent: the real-text figures need ../shared")
    report = figures["realdata"]["report"]
    assert report["texts"] > 3000
    assert report["verdicts"].get("unjudged", 0) == 0, report["verdicts"]
    assert report["not_personal_per_1000_texts"] <= 3.0, report
    assert report["precision_with_public_figures"] >= 0.4, report
    # The random sample holds no private person's data: recall is not measurable there.
    sample = figures["realdata"]["all"]
    assert sample["recall_sample_texts"] == 300 and sample["recall_sample_personal_spans"] == 0


def test_recall_of_authors_in_the_team_sample(figures):
    """The team's sample knows who wrote each message: on the report half, at least 98 in 100
    mentions of the author (name parts, e-mail) are replaced, every e-mail, and at most 2
    messages still name their author after the whole cleaner (12 before signatures, greetings
    and introductions were read by where they stand, cleaning/signatures.py; 1 since shops'
    names; the rules after the first were written after reading that half's leaks:
    docs/privacy-measures.md)."""
    report = figures["team_sample"]["report"]
    assert report["recall"] >= 0.99, report
    assert report["recall_per_kind"]["EMAIL"] == 1.0, report
    assert report["records_still_naming_their_author_after_cleaning"] <= 2, report


@pytest.mark.parametrize(
    "text",
    [
        "Sévir. Légiférer et sanctionner, voilà tout.",
        "Sanctionner plus fort Imposer des travaux d'intérêt général Former les jeunes au civisme",
        "Tolérance ZERO pour les tags et les dépôts sauvages.",
        "INFORMER ÉDUQUER SANCTIONNER",
        "Des heures de travaux d'intérêt général Demander aux parents de payer les dégâts.",
    ],
)
def test_capitalised_verbs_and_common_words_are_not_names(cleaner, text):
    result = cleaner.clean(text)
    assert "[PERSONNE" not in result.text, result.text


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("Il faut agir vite.\n\nCordialement,\nJ.-P. Mathonat", ["Mathonat"]),
        ("Merci de votre attention,\nDr P. Dunand", ["Dunand"]),
        ("Les jeunes seraient partants, on veut être utiles !\n\nMarion", ["Marion"]),
        (
            "École Paul-Bert – 03400 Yzeure\nflorence.guyot@ac-clermont.fr",
            ["guyot", "florence"],
        ),
        ("J'ai parlé au major Durand et à Mme Lefèvre hier.", ["Durand", "Lefèvre"]),
    ],
)
def test_signatures_initials_and_addressed_e_mails_are_replaced(cleaner, text, personal):
    result = cleaner.clean(text)
    for value in personal:
        assert value not in result.text, result.text


def test_infinitives_are_told_from_names_ending_alike(cleaner):
    names = cleaner._pseudonymizer
    for verb in ("Sévir", "Légiférer", "Sanctionner", "Réprimander", "Punir"):
        assert names._infinitive(verb), verb
    for name in ("Roger", "Didier", "Olivier", "Xavier", "Samir", "Nadir", "Mercier", "Fournier"):
        assert not names._infinitive(name), name


def test_a_misspelt_word_opening_a_sentence_is_not_a_name(cleaner):
    """NER reads a misspelt verb opening an answer as a person: wordfreq has never seen
    "Sanctioner", two slips from the frequent "sanctions". A surname wordfreq does not know
    and that is no slip of a frequent word stays a name, even opening its line."""
    text = "Sanctioner les parents des mineurs qui cassent."
    assert cleaner.clean(text).text == text
    names = cleaner._pseudonymizer
    assert names.lexicon.near_frequent("Sanctioner", 2, -5.3) == "sanctions"
    assert names.lexicon.near_frequent("Mathonat", 2, -5.3) is None
    signed = cleaner.clean("Il faut agir vite.\n\nCordialement,\nJ.-P. Mathonat").text
    assert "Mathonat" not in signed, signed


def test_lowercase_words_are_not_part_of_a_name(cleaner):
    """A name is written with capitals: the lowercase words NER sweeps into a person ("…
    police'gendarmerie Travaux d intérêt général", once a whole real answer) stay in the text,
    while a compound first name and its particles stay one name."""
    text = cleaner.clean("Renforcé police'gendarmerie Travaux d intérêt général Prison").text
    assert "police'gendarmerie" in text and "intérêt général" in text, text
    for signed, name in [
        ("Merci de votre écoute.\n\nJean-Baptiste Lemoine", "Jean-Baptiste Lemoine"),
        ("Bonne journée,\nMarie-Hélène de La Tour", "Marie-Hélène de La Tour"),
    ]:
        result = cleaner.clean(signed)
        assert result.text.endswith("[PERSONNE_1]"), result.text
        assert [r.before for r in result.repairs if r.kind == "pseudonym"] == [name]


@pytest.mark.parametrize(
    ("text", "personal", "kept"),
    [
        # a first name alone under the last sentence, even one that is a French word
        ("On a vu des motos toute la nuit, il faut agir.\nRomain", ["Romain"], ["motos"]),
        ("Merci d'avoir organisé la réunion !\n\nAurore", ["Aurore"], ["réunion"]),
        # the line after the closing formula, with the role and the town under it
        (
            "Je reste à votre disposition.\n\nBien respectueusement,\n\nAurélien Castagnol\n"
            "Adjoint au maire\nVille de Cusset",
            ["Aurélien", "Castagnol"],
            ["Adjoint au maire", "Ville de Cusset"],
        ),
        # a short last block: the name signs, the town under it is where the writer lives
        ("Mettez des caméras au parking.\n\nThomas Bréval\nCusset", ["Bréval"], ["Cusset"]),
        # the line after a closing sentence; the writer introducing themselves; a greeting
        (
            "Je vous remercie par avance.\nNadège Fournel\nCommentry",
            ["Nadège", "Fournel"],
            ["Commentry"],
        ),
        ("Bonjour,\n\nJe m'appelle Enzo et je suis en 3e.", ["Enzo"], ["en 3e"]),
        ("Bonjour Didier,\n\nComme convenu, voici mes idées.", ["Didier"], ["idées"]),
        ("Bonjour Monsieur le Préfet,\n\nVoici mes idées.", [], ["Monsieur le Préfet"]),
        ("Merci de nous avoir lus.\n\nGinette et Lucien Baraduc", ["Ginette", "Baraduc"], []),
        # a text message ending on an emoji; thanks that go on; another language
        ("Le bus 3 ne passe plus le soir 😡\nMaëlys", ["Maëlys"], ["bus 3"]),
        (
            "Merci par avance de votre aide,\nKevin et Laura Vergnaud",
            ["Kevin", "Laura", "Vergnaud"],
            ["votre aide"],
        ),
        ("Boa tarde,\n\nChamo-me Joaquim Pereira e moro em Vichy.", ["Joaquim", "Pereira"], []),
        # a shop named after its owner; what it does and a shop named otherwise stay
        (
            "On nous a cassé la vitrine.\n\nBoulangerie Mazuel\nSalon Inès Coiffure",
            ["Mazuel", "Inès"],
            ["Boulangerie", "Coiffure"],
        ),
        ("La Pharmacie Centrale ferme à 19h, après c'est désert.", [], ["Pharmacie Centrale"]),
        # what ends a letter without naming anyone stays
        ("Merci pour tout ce que vous faites.\n\nBisous", [], ["Bisous"]),
        ("Il faudrait plus de lumière rue Pasteur.\nVoilà", [], ["Voilà"]),
    ],
)
def test_a_name_signing_a_letter_is_replaced_where_it_stands(cleaner, text, personal, kept):
    """NER reads a name alone on its line poorly: a signature is told by where it stands (the
    last line, apart from the text; the line after "Cordialement"; the first of a short last
    block), as the team sample's authors showed ("…un danger.\nDidier"); so are a greeting's
    and an introduction's first name ("Bonjour Didier,", "Je m'appelle Enzo"), and an owner's
    name in their shop's ("Pharmacie Chambonnet")."""
    result = cleaner.clean(text)
    for value in personal:
        assert value not in result.text, result.text
    for value in kept:
        assert value in result.text, result.text


@pytest.mark.parametrize(
    ("text", "plates"),
    [
        ("La voiture immatriculée GH-512-KL se gare sur le trottoir.", ["GH-512-KL"]),
        ("Relevé le numéro : FR204ZE, je l'ai donné aux gendarmes.", ["FR204ZE"]),
        ("le camion gh 512 kl bloque la rue tous les matins", ["gh 512 kl"]),
        ("Un scooter sans plaque… si, plaque 4521 TX 03, tous les soirs.", ["4521 TX 03"]),
        # the same shapes, no vehicle: a speed, a road, a time stay
        ("EN 130 KM on ne voit rien, la RN 7 et la D 2009 non plus.", []),
        ("La voiture passe vers 3 h 30 et repart à 22 h 15.", []),
    ],
)
def test_number_plates_are_replaced(cleaner, text, plates):
    """A number plate identifies the vehicle's owner: citizens reporting incivilités write them
    ("la voiture immatriculée …"). The 2009 shape is replaced wherever it stands; with spaces,
    or the older "1234 AB 56", only after a word about a vehicle."""
    result = cleaner.clean(text)
    for plate in plates:
        assert plate not in result.text, result.text
        assert "[IMMAT_1]" in result.text
    if not plates:
        assert result.text == text


@pytest.mark.parametrize(
    ("text", "personal", "kind"),
    [
        ("écrivez moi : jean.dupont at gmail point com", ["jean.dupont", "gmail"], "EMAIL"),
        ("mon mail : m.faure[at]orange.fr, merci", ["m.faure"], "EMAIL"),
        ("contact : lea.roux arobase free point fr", ["lea.roux"], "EMAIL"),
        ("Mon numéro de sécu : 2 91 12 63 113 045 72.", ["045 72"], "NIR"),
        ("je m appelle jean dupont et j habite a vichy", ["jean", "dupont"], "PERSONNE"),
        ("Bonjour, mon prénom est kevin, j'ai 15 ans.", ["kevin"], "PERSONNE"),
    ],
)
def test_spelt_out_e_mails_social_security_numbers_and_lowercase_names(
    cleaner, text, personal, kind
):
    """What a text message or a wary writer does: an e-mail spelt out against robots, a social
    security number, a name in lowercase after "je m'appelle" (no apostrophe)."""
    result = cleaner.clean(text)
    for value in personal:
        assert value not in result.text, result.text
    assert f"[{kind}_1]" in result.text, result.text


@pytest.mark.parametrize(
    "text",
    [
        "Pour moi c'est impossible, on se retrouve at home point final.",
        "Il y a 1 500 000 habitants et 2 120 300 voitures.",
        "je m'appelle comme mon grand-père",
        # words that look like names once capitals tell nothing (cleaning/uncased_names.py)
        "TOLERANCE ZERO POUR LES DEALERS, PIERRE TOMBALE POUR LA JUSTICE",
        "IL FAUT UNE JUSTICE MOINS LAXISTE ET PLUS DE POLICE",
        "la marine nationale et la france doivent agir",
        "le maire sortant doit agir, qu'un gendarme vienne dans les écoles",
        "mettre en oeuvre des pénalités financières lourdes systématiques",
        "faire respecter les lois sans distinction",
        "mon collègue blanc qui fait les mêmes heures n'est jamais contrôlé",
        "des patrouilles devant le collège jean vilar et rue jean pierre timbaud",
        "une campagne d'information conjointe État-communes",
        "on m'a répondu \"c'est pas grave mademoiselle bloquez le\"",
        "IL FAUT QUE LE MAIRE ET LE GENDARME AGISSENT ENSEMBLE AVEC LES PARENTS",
    ],
)
def test_what_only_looks_like_personal_data_stays(cleaner, text):
    assert cleaner.clean(text).text == text


@pytest.mark.parametrize(
    ("text", "personal"),
    [
        ("MON VOISIN JEAN DUPONT FAIT DU BRUIT TOUTES LES NUITS", ["JEAN", "DUPONT"]),
        ("Plus de police\nJEAN-PIERRE DUVAL", ["JEAN-PIERRE", "DUVAL"]),
        ("MERCI A L'ADJUDANT MOREAU POUR SON ECOUTE", ["MOREAU"]),
        ("MADAME GIRARD ET MONSIEUR KOWALCZYK ONT PORTE PLAINTE", ["GIRARD", "KOWALCZYK"]),
        ("mon voisin kevin morel fait du bruit toute la nuit", ["kevin", "morel"]),
        ("j'ai porté plainte contre sophie durand mais rien ne bouge", ["sophie", "durand"]),
        ("Le fils de madame girard deale en bas de l'immeuble", ["girard"]),
        ("mon fils pierre a été agressé devant le collège", ["pierre"]),
        ("Ma voisine Rose Marchand a été cambriolée deux fois", ["Rose", "Marchand"]),
    ],
)
def test_names_without_their_capitals_are_replaced(cleaner, text, personal):
    """NER tells a name by its capital: a message in capitals or in lowercase, or a name made
    of words French also uses ("Rose Marchand"), needs the list of first and last names or a
    word about a person before it (cleaning/uncased_names.py)."""
    result = cleaner.clean(text)
    for value in personal:
        assert value not in result.text, result.text
    assert "[PERSONNE_1]" in result.text, result.text
