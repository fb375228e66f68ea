"""Personal data planted in every kind of repair, for the privacy tests: each text puts a name,
an e-mail, a phone or an address where one cleaning step will carry it in a repair."""

from __future__ import annotations

import json
from pathlib import Path

PLANTED = [
    {
        # mojibake inside a name that pseudonymisation then replaces
        "id": "plant-mojibake",
        "author": "Hélène Quintard",
        "text": "Bonjour, je suis HÃ©lÃ¨ne Quintard et je demande plus de patrouilles à pied le "
        "soir dans mon quartier.",
    },
    {
        # NER finds the name once and (today) misses it further on
        "id": "plant-missed",
        "text": "Bonjour, je suis Hélène Quintard. Les Quintard habitent Vichy depuis 1990 et "
        "demandent des patrouilles.",
    },
    {
        "id": "plant-signature",
        "text": "Il faudrait plus de patrouilles à pied dans le quartier le soir.\n\nCordialement,"
        "\nGisèle Marchetti\ngisele.marchetti@orange.fr\n06 12 34 56 78",
    },
    {
        # a first name alone under the text, a greeting's first name, the writer introducing
        # themselves: no sentence around them for NER (cleaning/signatures.py)
        "id": "plant-first-names",
        "text": "Bonjour Pascal,\n\nJe m'appelle Aurore et je voudrais plus de patrouilles à "
        "pied le soir.\nJulie",
    },
    {
        # a shop named after its owner; a number plate; a first name under a line ending in
        # an emoji (cleaning/signatures.py)
        "id": "plant-shop",
        "text": "Salon Inès Coiffure : notre vitrine a encore été taguée, la camionnette "
        "GK-731-PW était garée devant, une caméra place du marché svp 🙏\nNoémie",
    },
    {
        # a text message: a name in lowercase, an e-mail spelt out, a social security number
        "id": "plant-spelt",
        "text": "je m appelle noé lambert, on m a volé mon scooter. écrivez moi noe.lambert "
        "arobase free point fr, j ai donné mon numéro de sécu 1 85 05 78 006 084 36 à la police",
    },
    {
        # names without their capitals: a message in capitals, another in lowercase
        # (cleaning/uncased_names.py)
        "id": "plant-caps",
        "text": "MON VOISIN GASTON FERRAND ROULE SANS PERMIS DEVANT L'ECOLE ET LA POLICE NE FAIT "
        "RIEN, IL FAUT DES CONTROLES",
    },
    {
        "id": "plant-lowercase",
        "text": "ma fille capucine s est fait voler son portable par le fils de madame ribaud, "
        "le commissariat ne répond jamais",
    },
    {
        "id": "plant-quoted",
        "text": "Je suis d'accord : plus de policiers dans les rues le soir.\n\nLe 3 mars 2020, "
        "Octave Valjean <octave.valjean@free.fr> a écrit :\n> Appelez-moi au 06 98 76 54 32\n"
        "> merci",
    },
    {
        "id": "plant-forward",
        "text": "Voici ma contribution.\n\n---------- Forwarded message ---------\nDe : Norbert "
        "Kessler <norbert.kessler@gmail.com>\nDate : 3 mars 2020\nObjet : sécurité\nÀ : "
        "assises@interieur.gouv.fr\n\nIl faut plus de policiers à pied dans les rues le soir.",
    },
    {
        "id": "plant-html",
        "text": '<html><body><p>Plus de patrouilles de police le soir.</p><p>Contact : <a href="'
        'mailto:zoe.lambrechts@laposte.net">Zoé Lambrechts</a>, 07 11 22 33 44</p></body></html>',
    },
    {
        # an invisible character beside an address and an e-mail
        "id": "plant-invisible",
        "text": "Plus d'éclairage et de patrouilles au 12 rue des Capucines\u200b à Vichy, "
        "écrire à bob.leponge@yahoo.fr",
    },
    {
        # the PDF accent artifact in a surname ("Lefeèvre")
        "id": "plant-pdf",
        "text": "Madame Ame\u0301lie Lefeèvre, de la gendarmerie geéneérale, demande des "
        "patrouilles le soir.",
    },
    {
        "id": "plant-hyphen",
        "text": "Lettre de M. Jean-Christophe Bou-\nchardeau : plus de patrouilles à pied le soir "
        "dans le quar-\ntier.",
    },
]

# A lone surrogate (invalid Unicode) comes neither through the API (JSON bodies must be valid
# Unicode) nor into the store (SQLite refuses it): only the library's cleaner meets it.
LIBRARY_ONLY = [
    {
        "id": "plant-invalid",
        "text": "Plus d'éclairage et de patrouilles au 12 rue des Capucines \ud800 à Vichy, écrire "
        "à bob.leponge@yahoo.fr",
    },
]

# What must never reach a key below admin (and what an admin does see, so the tests can fail).
SECRETS = [
    "Quintard",
    "Hélène",
    "HÃ©lÃ¨ne",
    "Marchetti",
    "gisele.marchetti@orange.fr",
    "06 12 34 56 78",
    "Valjean",
    "octave.valjean@free.fr",
    "06 98 76 54 32",
    "Kessler",
    "norbert.kessler@gmail.com",
    "zoe.lambrechts@laposte.net",
    "Lambrechts",
    "07 11 22 33 44",
    "rue des Capucines",
    "bob.leponge@yahoo.fr",
    "Lefèvre",
    "Lefeèvre",
    "Bouchardeau",
    "Bou-",
    "Pascal",
    "Aurore",
    "Julie",
    "Noémie",
    "Inès",
    "GK-731-PW",
    "lambert",
    "006 084",
    "GASTON",
    "FERRAND",
    "capucine",
    "ribaud",
]


def write_planted(folder: Path) -> Path:
    """The planted records as a JSONL file."""
    path = folder / "planted.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in PLANTED) + "\n", encoding="ascii")
    return path


def leaks(text: str) -> list[str]:
    """The planted values found in ``text`` (as sent: JSON may escape a slash or a newline)."""
    return [s for s in SECRETS if s in text]
