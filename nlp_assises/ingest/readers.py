"""One reader per input format; ``read_records`` picks it by file suffix.

Readers only read: they return the text as received (quotes, signatures, HTML and all), so that
every change made to it is a listed repair of the cleaner. A whole-file problem (binary data, no
text column, a broken PDF, a malformed JSON line) raises ``InputError`` naming the file and the
problem."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import mailbox
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from nlp_assises.errors import InputError
from nlp_assises.records import Record

TEXT_COLUMNS = ("text", "texte", "contribution", "message", "contenu", "body", "corps")


def _parse_date(value, *, source: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"date {value!r} is not ISO 8601 (e.g. 2020-01-15)", source=source
        ) from None


def _themes(value, *, source: str) -> list[str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = [part.strip() for part in re.split(r"[;,|]", value) if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("`themes` must be a list of theme ids", source=source)
    return value


def _record_from_mapping(row: dict, *, source: str, text_key: str = "text") -> Record:
    text = row.get(text_key)
    if not isinstance(text, str):
        raise InputError("a record needs a `text` string", source=source)
    known = {text_key, "id", "date", "source", "author", "themes"}
    record_id = row.get("id")
    return Record(
        text=text,
        id=str(record_id) if record_id not in (None, "") else None,
        date=_parse_date(row.get("date"), source=source),
        source=row.get("source") or None,
        author=row.get("author") or None,
        themes=_themes(row.get("themes"), source=source),
        meta={k: v for k, v in row.items() if k not in known and v not in (None, "")},
    )


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first, then the best of the encodings French files come in
    (a short cp1252 text is otherwise easily taken for cp1250 or another code page)."""
    if b"\x00" in data[:8192]:
        raise InputError("binary file (NUL bytes), not text", source=str(path))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(
        data, cp_isolation=["cp1252", "latin_1", "utf_16", "mac_roman", "cp850", "iso8859_15"]
    ).best()
    if best is None:
        raise InputError("cannot detect the text encoding (binary file?)", source=str(path))
    return str(best)


def read_jsonl(path: Path) -> Iterator[Record]:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise InputError("binary file (NUL bytes), not JSONL", source=str(path))
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"invalid UTF-8 at line {line}", source=str(path)) from None
    if path.suffix == ".json":
        try:
            rows = json.loads(content)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON ({exc.msg}, line {exc.lineno})", source=str(path)
            ) from None
        if not isinstance(rows, list):
            raise InputError("a .json input must hold a list of records", source=str(path))
        for i, row in enumerate(rows, 1):
            if not isinstance(row, dict):
                raise InputError(f"record {i} is not an object", source=str(path))
            yield _record_from_mapping(row, source=f"{path}:record {i}")
        return
    for lineno, line in enumerate(content.splitlines(), 1):
        if line.strip():
            yield jsonl_record(line, lineno, path)


def jsonl_record(line: str, lineno: int, path: Path) -> Record:
    """The record of one non-blank JSONL line (shared by the whole-file and streamed readers)."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {lineno} is not valid JSON ({exc.msg})", source=str(path)) from None
    if not isinstance(row, dict):
        raise InputError(f"line {lineno} is not a JSON object", source=str(path))
    return _record_from_mapping(row, source=f"{path}:{lineno}")


def csv_delimiter(head: str) -> str:
    """The delimiter of a CSV whose first characters are ``head``: the most frequent of
    ``; , tab |`` in the header row, else what the sniffer finds, else a comma."""
    header = head.split("\n", 1)[0]
    counts = {d: header.count(d) for d in ";,\t|"}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        try:  # a one-column header: let the sniffer look at more lines
            delimiter = csv.Sniffer().sniff(head[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    return delimiter


def csv_records(handle, path: Path, delimiter: str) -> Iterator[Record]:
    """The records of an open CSV (a header row, a text column among ``TEXT_COLUMNS``)."""
    reader = csv.DictReader(handle, delimiter=delimiter)
    if not reader.fieldnames:
        raise InputError("empty CSV (no header row)", source=str(path))
    columns = {name.strip().lower(): name for name in reader.fieldnames if name}
    text_key = next((columns[c] for c in TEXT_COLUMNS if c in columns), None)
    if text_key is None:
        raise InputError(
            f"no text column: expected one of {', '.join(TEXT_COLUMNS)}; "
            f"found {', '.join(reader.fieldnames)}",
            source=str(path),
        )
    for lineno, row in enumerate(reader, 2):
        row = {(k.strip().lower() if k else k): v for k, v in row.items() if k}
        yield _record_from_mapping(
            row, source=f"{path}:{lineno}", text_key=text_key.strip().lower()
        )


def read_csv(path: Path) -> Iterator[Record]:
    content = _decode(path.read_bytes(), path)
    yield from csv_records(io.StringIO(content), path, csv_delimiter(content))


def read_text(path: Path) -> Iterator[Record]:
    """Plain text: one contribution per block, blocks separated by blank lines."""
    content = _decode(path.read_bytes(), path)
    for i, block in enumerate(re.split(r"\n(?:[ \t]*\n)+", content.replace("\r\n", "\n")), 1):
        if block.strip():
            yield Record(text=block.strip("\n"), source=f"{path.name}#{i}")


def _message_body(message: EmailMessage) -> tuple[str, int]:
    """The message's text (plain preferred over HTML) and how many attachments were set aside."""
    attachments = sum(1 for _ in message.iter_attachments()) if message.is_multipart() else 0
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", attachments
    try:
        body = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        body = payload.decode("latin-1")
    return body, attachments


def _record_from_message(message: EmailMessage, *, source: str) -> Record:
    body, attachments = _message_body(message)
    date = None
    if message["date"]:
        try:
            date = parsedate_to_datetime(str(message["date"]))
        except (TypeError, ValueError):
            date = None
    name, address = parseaddr(str(message["from"] or ""))
    message_id = str(message["message-id"] or "").strip("<> ") or None
    meta = {"subject": str(message["subject"] or ""), "channel": "email"}
    if attachments:
        meta["attachments_ignored"] = attachments
    return Record(
        text=body,
        id=f"m-{_short_hash(message_id)}" if message_id else None,
        date=date,
        source=source,
        author=(f"{name} <{address}>" if name else address) or None,
        meta=meta,
    )


def _short_hash(value: str) -> str:
    import hashlib

    return hashlib.sha256(value.encode()).hexdigest()[:16]


def read_eml(path: Path) -> Iterator[Record]:
    data = path.read_bytes()
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not message.keys():
        raise InputError("not an e-mail (no headers)", source=str(path))
    yield _record_from_message(message, source=path.name)


def read_mbox(path: Path) -> Iterator[Record]:
    head = path.read_bytes()[:5]
    if head and head != b"From ":
        raise InputError("not an mbox file (it must start with 'From ')", source=str(path))
    box = mailbox.mbox(
        str(path),
        factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default),
        create=False,
    )
    try:
        for i, message in enumerate(box, 1):
            yield _record_from_message(message, source=f"{path.name}#{i}")
    finally:
        box.close()


def read_pdf(path: Path) -> Iterator[Record]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(
            f"broken PDF ({exc.__class__.__name__}: {exc})", source=str(path)
        ) from None
    text = "\n".join(pages)
    if not text.strip():
        raise InputError("the PDF has no text layer (a scan needs OCR first)", source=str(path))
    meta = {"channel": "pdf", "pages": len(pages)}
    title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    if title:
        meta["title"] = str(title)
    yield Record(text=text, source=path.name, meta=meta)


READERS: dict[str, Callable[[Path], Iterator[Record]]] = {
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".json": read_jsonl,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".txt": read_text,
    ".md": read_text,
    ".eml": read_eml,
    ".mbox": read_mbox,
    ".pdf": read_pdf,
}
SUPPORTED_SUFFIXES = tuple(READERS)


def iter_input_files(path: str | Path) -> list[Path]:
    """The files to read: ``path`` itself, or every supported file below a folder, sorted."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file or folder", source=str(path))
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READERS)
        if not files:
            raise InputError(
                f"no input file ({', '.join(SUPPORTED_SUFFIXES)}) in this folder", source=str(path)
            )
        return files
    if path.suffix.lower() not in READERS:
        raise InputError(
            f"unsupported format {path.suffix or '(no suffix)'}; expected one of "
            f"{', '.join(SUPPORTED_SUFFIXES)}",
            source=str(path),
        )
    return [path]


def read_records(path: str | Path) -> Iterator[Record]:
    """Every record of a file or folder. Raises ``InputError`` on a file that cannot be read."""
    for file in iter_input_files(path):
        if file.stat().st_size == 0:
            raise InputError("empty file", source=str(file))
        try:
            yield from READERS[file.suffix.lower()](file)
        except InputError:
            raise
        except (OSError, UnicodeError, csv.Error) as exc:
            raise InputError(f"cannot read ({exc})", source=str(file)) from None
