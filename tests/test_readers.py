"""Every input format of the contract, and one-line errors on bad input."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest

from nlp_assises.errors import InputError
from nlp_assises.ingest import read_records
from nlp_assises.records import stable_id


def test_jsonl_keeps_fields_and_derives_stable_ids(tmp_path):
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": "a1", "text": "Plus de patrouilles.", "date": "2020-01-15", "themes": ["service"]},
        {"text": "Pas d'id ici.", "source": "formulaire", "author": "Jeanne"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    records = list(read_records(path))
    assert records[0].id == "a1"
    assert records[0].date.year == 2020 and records[0].themes == ["service"]
    assert records[1].id == stable_id("Pas d'id ici.", "Jeanne", None)
    # the same content read twice gives the same id
    assert list(read_records(path))[1].id == records[1].id


def test_csv_in_cp1252_with_semicolons_and_a_french_text_column(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        "id;date;contribution\nF1;2020-01-10;Sécurité : des gendarmes à pied\n".encode("cp1252")
    )
    (record,) = read_records(path)
    assert record.text == "Sécurité : des gendarmes à pied" and record.id == "F1"


def test_plain_text_blocks(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Première contribution.\nSur deux lignes.\n\n  \nDeuxième.\n")
    records = list(read_records(path))
    assert [r.text for r in records] == ["Première contribution.\nSur deux lignes.", "Deuxième."]


def _message(body: str, subject: str = "Assises") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Martine Roux <martine@example.org>"
    message["To"] = "pref@example.org"
    message["Subject"] = subject
    message["Date"] = "Wed, 15 Jan 2020 10:00:00 +0100"
    message["Message-ID"] = f"<{subject}@example.org>"
    message.set_content(body)
    return message


def test_eml_and_mbox(tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(bytes(_message("Il faudrait plus de patrouilles.")))
    (record,) = read_records(eml)
    assert record.text.strip() == "Il faudrait plus de patrouilles."
    assert record.author == "Martine Roux <martine@example.org>"
    assert record.date.year == 2020 and record.meta["subject"] == "Assises"
    mbox = tmp_path / "box.mbox"
    with mbox.open("wb") as handle:
        for i in range(3):
            handle.write(b"From x@example.org Wed Jan 15 10:00:00 2020\n")
            handle.write(bytes(_message(f"Message {i}", subject=f"s{i}")) + b"\n")
    records = list(read_records(mbox))
    assert [r.text.strip() for r in records] == ["Message 0", "Message 1", "Message 2"]
    assert len({r.id for r in records}) == 3


def test_pdf_text_layer(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 8, "Monsieur le Prefet, nous demandons des patrouilles a pied.")
    path = tmp_path / "lettre.pdf"
    pdf.output(str(path))
    (record,) = read_records(path)
    assert "patrouilles a pied" in record.text and record.meta["channel"] == "pdf"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "empty file"),
        ("binary.csv", b"\x00\x01\x02\x03binary", "binary file"),
        ("no_text.csv", b"id;nom\n1;Jean\n", "no text column"),
        ("bad.jsonl", b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "invalid UTF-8 at line 2"),
        ("broken.jsonl", b'{"text": "ok"}\n{"text": \n', "line 2 is not valid JSON"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("notes.docx", b"whatever", "unsupported format"),
    ],
)
def test_bad_input_names_the_file_and_the_problem(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(read_records(path))
    assert message in str(info.value) and name in str(info.value)
    assert "\n" not in str(info.value)


def test_a_streamed_utf8_csv_gives_what_the_whole_file_reader_gives(tmp_path):
    from nlp_assises.ingest.readers import read_csv
    from nlp_assises.ingest.stream import stream_csv

    path = tmp_path / "formulaire.csv"
    path.write_text(
        "id;Contribution;date\n1;Plus de police la nuit;2020-01-02\n"
        '2;"Des caméras; et des patrouilles";\n3;"Sur deux\nlignes";2020-01-03\n',
        encoding="utf-8",
    )
    streamed = [(r.id, r.text, r.date) for r in stream_csv(path)]
    assert streamed == [(r.id, r.text, r.date) for r in read_csv(path)]
    assert [t for _, t, _ in streamed] == [
        "Plus de police la nuit",
        "Des caméras; et des patrouilles",
        "Sur deux\nlignes",
    ]
    (tmp_path / "vide.csv").write_text("id;date\n1;2020-01-02\n", encoding="utf-8")
    with pytest.raises(InputError, match="no text column"):
        list(stream_csv(tmp_path / "vide.csv"))
