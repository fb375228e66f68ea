"""Package the team's hand-written sample consultation into the files a prefecture receives.

The texts were written one by one (JSONL sources with one record per contribution, bodies exactly
as received). This script only packages them: e-mails into an mbox and .eml files (a few as HTML),
the online form into a cp1252 CSV export (a few entries with the mojibake of a bad export), letters
into PDFs (some with the PDF accent artifact in their text layer), meeting notes into text files.
It then reads everything back with the project's readers and writes ``sample_labels.jsonl``
beside the folder (themes and proposals by record id), for evaluation.

    python scripts/build_sample.py DRAFTS_DIR nlp_assises/data/sample
"""

from __future__ import annotations

import csv
import html
import json
import random
import shutil
import sys
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from nlp_assises.cleaning.damage import (
    ALLIER_STAND_INS,
    OTHER_STAND_INS,
    mojibake,
    pdf_accent_artifact,
)
from nlp_assises.ingest import read_records

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PREFECTURE = "pref-assises-securite-interieure@allier.gouv.fr"


def _slug(name: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFD", name.lower())
    return "-".join("".join(c for c in folded if c.isalnum() or c == " ").split())


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def email_message(row: dict, *, as_html: bool) -> EmailMessage:
    message = EmailMessage()
    name, address = row.get("author_name"), row.get("author_email") or "anonyme@example.org"
    message["From"] = f"{name} <{address}>" if name else address
    message["To"] = PREFECTURE
    message["Subject"] = row.get("subject") or "Contribution aux assises"
    message["Date"] = format_datetime(datetime.fromisoformat(row["date"]))
    message["Message-ID"] = make_msgid(idstring=row["id"], domain="sample.nlp-assises")
    if as_html:
        paragraphs = "".join(
            f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in row["body"].split("\n\n")
        )
        message.set_content(f"<html><body>{paragraphs}</body></html>", subtype="html")
    else:
        message.set_content(row["body"])
    return message


def write_pdf(text: str, path: Path, title: str) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    pdf.output(str(path))


def main(drafts: Path, out: Path) -> None:
    rng = random.Random(2020)
    if out.exists():
        shutil.rmtree(out)
    (out / "courriels").mkdir(parents=True)
    (out / "courriers").mkdir()
    (out / "reunions").mkdir()
    rows = []
    for part in sorted(drafts.glob("sample_*.jsonl")):
        rows += load(part)
    emails = [r for r in rows if r["channel"] == "email"]
    forms = [r for r in rows if r["channel"] == "form"]
    letters = [r for r in rows if r["channel"] == "letter"]
    notes = [r for r in rows if r["channel"] == "notes"]
    labels: list[dict] = []

    def label(record_id: str, row: dict) -> None:
        labels.append(
            {
                "id": record_id,
                "themes": row["themes"],
                "proposals": row["proposals"],
                "channel": row["channel"],
                "campaign": row.get("campaign"),
                "lang": row.get("lang", "fr"),
                "source_id": row["id"],
            }
        )

    # E-mails: most into one mailbox, one in four as a single .eml file; a few sent as HTML.
    mbox_rows, eml_rows = [], []
    for row in emails:
        (eml_rows if rng.random() < 0.25 else mbox_rows).append(row)
    with (out / "courriels.mbox").open("wb") as handle:
        for row in mbox_rows:
            message = email_message(row, as_html=rng.random() < 0.06)
            handle.write(
                b"From assises@allier.gouv.fr "
                + datetime.fromisoformat(row["date"]).strftime("%a %b %d %H:%M:%S %Y").encode()
                + b"\n"
            )
            data = message.as_bytes().replace(b"\nFrom ", b"\n>From ")
            handle.write(data + b"\n")
    for index, row in enumerate(eml_rows, 1):
        message = email_message(row, as_html=rng.random() < 0.06)
        (out / "courriels" / f"message-{index:03d}.eml").write_bytes(bytes(message))

    # The online form: a cp1252 ';' CSV as a spreadsheet exports it; a few entries damaged.
    with (out / "formulaire.csv").open("w", encoding="cp1252", errors="replace", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["id", "date", "nom", "commune", "profil", "contribution"])
        for number, row in enumerate(forms, 1):
            body = row["body"]
            if rng.random() < 0.05:
                body = mojibake(body)
            writer.writerow(
                [
                    f"FORM-{number:04d}",
                    row["date"],
                    row.get("author_name") or "",
                    row.get("commune") or "",
                    row.get("profile") or "",
                    body,
                ]
            )

    # Letters: PDFs; 40% carry the Allier artifact, 10% another producer's stand-ins.
    for index, row in enumerate(letters, 1):
        draw = rng.random()
        text = row["body"]
        if draw < 0.4:
            text = pdf_accent_artifact(text, stand_ins=ALLIER_STAND_INS, seed=index)
        elif draw < 0.5:
            text = pdf_accent_artifact(text, stand_ins=OTHER_STAND_INS, seed=index)
        write_pdf(
            text,
            out / "courriers" / f"courrier-{index:03d}.pdf",
            title=f"Contribution {row.get('author_name') or ''}".strip(),
        )

    # Meeting notes: one text file per public meeting, one contribution per paragraph.
    meetings: dict[str, list[dict]] = {}
    for row in notes:
        meeting = (row.get("subject") or "reunion").split("–")[0].replace("Réunion publique de", "")
        meetings.setdefault(meeting.strip() or "reunion", []).append(row)
    for commune, items in sorted(meetings.items()):
        slug = _slug(commune)
        (out / "reunions" / f"reunion-{slug}.txt").write_text(
            "\n\n".join(" ".join(r["body"].split()) for r in items) + "\n", encoding="utf-8"
        )

    # Read everything back with the project's readers to learn the ids they assign.
    read = {"courriels.mbox": mbox_rows, "formulaire.csv": forms}
    for name, source_rows in read.items():
        records = list(read_records(out / name))
        assert len(records) == len(source_rows), (name, len(records), len(source_rows))
        for record, row in zip(records, source_rows, strict=True):
            label(record.id, row)
    for index, row in enumerate(eml_rows, 1):
        label(next(read_records(out / "courriels" / f"message-{index:03d}.eml")).id, row)
    for index, row in enumerate(letters, 1):
        label(next(read_records(out / "courriers" / f"courrier-{index:03d}.pdf")).id, row)
    for commune, items in sorted(meetings.items()):
        slug = _slug(commune)
        records = list(read_records(out / "reunions" / f"reunion-{slug}.txt"))
        assert len(records) == len(items), (commune, len(records), len(items))
        for record, row in zip(records, items, strict=True):
            label(record.id, row)
    with (out.parent / "sample_labels.jsonl").open("w", encoding="utf-8") as handle:
        for row in labels:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(
        f"{len(labels)} contributions: {len(mbox_rows)} in the mbox, {len(eml_rows)} .eml, "
        f"{len(forms)} form entries, {len(letters)} PDF letters, {len(notes)} meeting notes"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
