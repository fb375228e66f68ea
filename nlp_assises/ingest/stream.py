"""Records read one at a time, for inputs too large to hold: JSONL and UTF-8 CSV are streamed
line by line; the other formats (and a CSV in another encoding) are read a file at a time by
their usual reader. Same records, same errors as :func:`~nlp_assises.ingest.read_records`."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from nlp_assises.errors import InputError
from nlp_assises.ingest.readers import (
    READERS,
    csv_delimiter,
    csv_records,
    iter_input_files,
    jsonl_record,
)
from nlp_assises.records import Record

_PROBE = 1 << 20  # bytes read at a time when checking an encoding


def stream_jsonl(path: Path) -> Iterator[Record]:
    """One JSON object per line, parsed as the line is read."""
    with path.open("rb") as handle:
        if b"\x00" in handle.read(8192):
            raise InputError("binary file (NUL bytes), not JSONL", source=str(path))
        handle.seek(0)
        for lineno, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"invalid UTF-8 at line {lineno}", source=str(path)) from None
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            if line.strip():
                yield jsonl_record(line, lineno, path)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        if b"\x00" in handle.read(8192):
            return False
        handle.seek(0)
        try:
            while chunk := handle.read(_PROBE):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def stream_csv(path: Path) -> Iterator[Record]:
    """A UTF-8 CSV row by row (delimiter and text column found as ``read_csv`` finds them);
    another encoding falls back to ``read_csv``, which detects it on the whole file."""
    if not _is_utf8(path):
        yield from READERS[".csv"](path)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        delimiter = csv_delimiter(handle.read(20000))
        handle.seek(0)
        yield from csv_records(handle, path, delimiter)


_STREAMING = {
    ".jsonl": stream_jsonl,
    ".ndjson": stream_jsonl,
    ".csv": stream_csv,
    ".tsv": stream_csv,
}


def stream_records(path: str | Path) -> Iterator[Record]:
    """Every record of a file or folder, without holding a whole file of them."""
    for file in iter_input_files(path):
        if file.stat().st_size == 0:
            raise InputError("empty file", source=str(file))
        reader = _STREAMING.get(file.suffix.lower(), READERS[file.suffix.lower()])
        try:
            yield from reader(file)
        except InputError:
            raise
        except (OSError, UnicodeError, csv.Error) as exc:
            raise InputError(f"cannot read ({exc})", source=str(file)) from None


def record_chunks(path: str | Path, size: int) -> Iterator[list[Record]]:
    """``stream_records`` in lists of ``size`` records (the last one shorter)."""
    records = stream_records(path)
    while chunk := list(islice(records, size)):
        yield chunk
