"""Labelling batches: pick the contributions worth a writer's time, export them for a spreadsheet or
a labelling tool, read the filled file back, and merge it with the writers' corrections.

The CSV is what French Excel opens as it is: UTF-8 with a byte-order mark, ``;`` between columns,
one column per theme (and ``hors_theme``) to mark with ``x``. The JSONL form has a ``themes`` list
to fill. Reading back checks every row against the scheme and stops at the first problem with one
error naming the file and the line.

>>> import nlp_assises as na
>>> pipeline = na.Pipeline()
>>> queue = na.review_queue(pipeline.store, n=40)              # most uncertain first
>>> na.export_batch(queue, "lot-01.csv", pipeline.scheme)      # doctest: +SKIP
>>> labels = na.training_labels(pipeline.store, "lot-01.csv", pipeline.scheme)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from nlp_assises.errors import InputError, NlpAssisesError
from nlp_assises.frames import _store, contributions_frame
from nlp_assises.scheme import HORS_THEME, Scheme

if TYPE_CHECKING:
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.store import Store

# What a person types in a theme column to say "yes" or "no".
YES = {"x", "1", "oui", "o", "yes", "y", "vrai", "true", "✓", "✔"}
NO = {"", "0", "non", "n", "no", "faux", "false"}
FORMULA_STARTS = ("=", "+", "-", "@")
# Columns of an exported batch that are information, not labels.
INFO_COLUMNS = {
    "id",
    "text",
    "primary",
    "labels",
    "needs_review",
    "margin",
    "confidence",
    "commentaire",
}


class LabelBatchError(InputError):
    """A filled labelling batch cannot be read; the message names the file and the line."""


def review_queue(
    source: Store | Pipeline,
    *,
    n: int | None = None,
    exclude_labelled: bool = True,
) -> pd.DataFrame:
    """Contributions to label first (uncertainty sampling): those the classifier sent to review,
    then the least sure first (lowest probability that the primary theme is right; by smallest
    margin to a threshold for models that give no such probability). Contributions not in
    French, empty ones, and (with ``exclude_labelled``) those already labelled by a writer or
    in the input are left out.

    Example::

        review_queue(store, n=40)[["primary", "confidence", "text"]]
    """
    store = _store(source)
    frame = contributions_frame(store)
    if frame.empty:
        return frame
    frame = frame[frame["primary"].notna() & ~frame["not_french"]]
    frame = frame[~frame["flags"].map(lambda flags: "empty" in flags)]
    if exclude_labelled:
        corrected = set(store.theme_corrections())
        frame = frame[frame["themes_gold"].isna() & ~frame.index.isin(corrected)]
    frame = frame.sort_values(
        ["needs_review", "confidence", "margin"],
        ascending=[False, True, True],
        kind="stable",
        na_position="last",
    )
    return frame.head(n) if n is not None else frame


def export_batch(frame: pd.DataFrame, path: str | Path, scheme: Scheme) -> Path:
    """Write a labelling batch to ``path`` (``.csv`` or ``.jsonl``), with the current suggestion
    (``primary``, ``labels``, scores) when ``frame`` has it and an empty place for the answer.

    ``frame`` is indexed by contribution id (as ``review_queue`` returns) and has ``text``.

    Example::

        export_batch(review_queue(store, n=40), "lot-01.csv", scheme)
    """
    path = Path(path)
    frame = frame if "id" in frame.columns else frame.rename_axis("id").reset_index()
    if "id" not in frame.columns or "text" not in frame.columns:
        raise ValueError("export_batch needs a frame with contribution ids and a `text` column")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise ValueError(f"{path}: a batch is a .csv or a .jsonl file")
    answers = [*scheme.theme_ids, HORS_THEME]
    rows = []
    for _, r in frame.iterrows():
        primary = r.get("primary")
        suggestion = {
            "primary": primary if isinstance(primary, str) else None,
            "labels": list(r["labels"]) if isinstance(r.get("labels"), list) else [],
            "scores": {
                t: float(r[f"score_{t}"])
                for t in scheme.theme_ids
                if f"score_{t}" in r and not pd.isna(r[f"score_{t}"])
            },
        }
        rows.append((str(r["id"]), str(r["text"]), suggestion))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    if suffix == ".jsonl":
        with tmp.open("w", encoding="utf-8") as out:
            for id_, text, suggestion in rows:
                record = {"id": id_, "text": text, "suggestion": suggestion, "themes": []}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        with tmp.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
            score_columns = [f"score_{t}" for t in scheme.theme_ids]
            writer.writerow(["id", "text", "primary", "labels", *score_columns, *answers])
            for id_, text, s in rows:
                scores = [_french_number(s["scores"].get(t)) for t in scheme.theme_ids]
                writer.writerow(
                    [id_, _inert(text), s["primary"] or "", ", ".join(s["labels"]), *scores]
                    + [""] * len(answers)
                )
    tmp.replace(path)
    return path


def _inert(text: str) -> str:
    """A text a spreadsheet will not run as a formula (a contribution may start with ``=``)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


def _french_number(value) -> str:
    """A decimal comma, which French Excel reads as a number."""
    return "" if value is None or pd.isna(value) else f"{float(value):.4f}".replace(".", ",")


def read_batch(path: str | Path, scheme: Scheme, *, skip_unlabelled: bool = False) -> pd.DataFrame:
    """Read a filled batch (``.csv`` or ``.jsonl``) back: a DataFrame indexed by ``id`` with
    ``text``, ``themes`` (validated theme ids, or ``["hors_theme"]``) and ``line``.

    Raises ``LabelBatchError`` naming the line for a file that is not UTF-8, a row with no id, an
    unknown theme, a theme combined with ``hors_theme``, an id seen twice, or (unless
    ``skip_unlabelled``) a row where nothing was marked.

    Example::

        labels = read_batch("lot-01.csv", scheme)
        ThemeClassifier(embedder).fit(labels.text, labels.themes, scheme)
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LabelBatchError(f"cannot read the batch ({exc.strerror})", source=str(path)) from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelBatchError(
            f"line {line}: not UTF-8 text; save it as « CSV UTF-8 » (Excel) or UTF-8",
            source=str(path),
        ) from None
    if path.suffix.lower() == ".jsonl":
        rows = _jsonl_rows(content, path)
    elif path.suffix.lower() == ".csv":
        rows = _csv_rows(content, scheme, path)
    else:
        raise LabelBatchError("a batch is a .csv or a .jsonl file", source=str(path))
    out: list[dict] = []
    seen: dict[str, int] = {}
    for line, id_, text, themes in rows:

        def fail(message: str, line: int = line) -> LabelBatchError:
            return LabelBatchError(f"line {line}: {message}", source=str(path))

        if not id_:
            raise fail("no id (every row needs the id it was exported with)")
        if id_ in seen:
            raise fail(f"id {id_} already on line {seen[id_]}")
        seen[id_] = line
        if not themes:
            if skip_unlabelled:
                continue
            raise fail(f"nothing marked for {id_}: mark its theme(s), or {HORS_THEME}")
        try:
            themes = scheme.validate_labels(themes)
        except NlpAssisesError as exc:
            raise fail(str(exc)) from None
        out.append({"id": id_, "text": text, "themes": themes, "line": line})
    frame = pd.DataFrame(out, columns=["id", "text", "themes", "line"])
    return frame.set_index("id")


def _jsonl_rows(content: str, path: Path):
    for number, raw in enumerate(content.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LabelBatchError(
                f"line {number}: not JSON ({exc.msg})", source=str(path)
            ) from None
        if not isinstance(record, dict):
            raise LabelBatchError(f"line {number}: not a JSON object", source=str(path))
        themes = record.get("themes") or []
        if isinstance(themes, str):
            themes = _split_ids(themes)
        if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
            raise LabelBatchError(
                f"line {number}: `themes` must be a list of theme ids", source=str(path)
            )
        yield number, str(record.get("id") or "").strip(), record.get("text"), themes


def _csv_rows(content: str, scheme: Scheme, path: Path):
    header_line = content.split("\n", 1)[0]
    delimiter = max(";,\t", key=header_line.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LabelBatchError("empty file", source=str(path)) from None
    known = {*scheme.theme_ids, HORS_THEME}
    if "id" not in header:
        raise LabelBatchError("line 1: no `id` column", source=str(path))
    theme_columns = [h for h in header if h in known]
    free_themes = "themes" in header
    others = [
        h
        for h in header
        if h not in known | INFO_COLUMNS | {"themes"} and not h.startswith("score_")
    ]
    if not theme_columns and not free_themes:
        raise LabelBatchError(
            f"line 1: no theme column; expected columns among {', '.join(sorted(known))} "
            "or a `themes` column",
            source=str(path),
        )
    last = reader.line_num
    for cells in reader:
        line, last = last + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue  # a blank line, as spreadsheets leave at the end
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        for column in others:
            if row.get(column):
                raise LabelBatchError(
                    f"line {line}: column {column!r} is not a theme of the scheme "
                    f"{scheme.name!r} ({', '.join(scheme.theme_ids)} or {HORS_THEME})",
                    source=str(path),
                )
        themes = []
        for column in theme_columns:
            value = row.get(column, "").lower()
            if value in YES:
                themes.append(column)
            elif value not in NO:
                raise LabelBatchError(
                    f"line {line}: column {column!r} holds {row[column]!r}; mark with x or leave "
                    "empty",
                    source=str(path),
                )
        if free_themes:
            themes += [t for t in _split_ids(row.get("themes", "")) if t not in themes]
        text = row.get("text") or None
        if text and text[0] == "'" and text[1:2] in FORMULA_STARTS:
            text = text[1:]
        yield line, row.get("id", ""), text, themes


def _split_ids(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def training_labels(
    source: Store | Pipeline,
    batch: str | Path | pd.DataFrame | None = None,
    scheme: Scheme | None = None,
    *,
    prefer: str = "batch",
) -> pd.DataFrame:
    """Every label to train on, from the writers' corrections in the store and a filled batch
    (a path, read with ``read_batch``, or its DataFrame): indexed by ``id``, with ``text`` (the
    cleaned text from the store), ``themes``, ``origin`` (``writer``, ``batch`` or both) and
    ``conflict`` (the two disagreed; ``prefer`` says which won).

    Example::

        labels = training_labels(store, "lot-01.csv", scheme)
        model = ThemeClassifier(embedder).fit(labels.text, labels.themes, scheme)
    """
    if prefer not in {"batch", "writer"}:
        raise ValueError("prefer is 'batch' or 'writer'")
    store = _store(source)
    if isinstance(batch, str | Path):
        if scheme is None:
            raise ValueError("reading a batch file needs the scheme")
        batch = read_batch(batch, scheme)
    writers = store.theme_corrections()
    if scheme is not None:
        writers = {
            id_: scheme.validate_labels(list(t), where=f"correction of {id_}: ")
            for id_, t in writers.items()
        }
    from_batch = {} if batch is None else dict(zip(batch.index, batch["themes"], strict=True))
    ids = list(dict.fromkeys([*writers, *from_batch]))
    texts = {c.id: c.text for c in store.contributions(ids)}
    rows = []
    for id_ in ids:
        w, b = writers.get(id_), from_batch.get(id_)
        text = texts.get(id_)
        if text is None and batch is not None and id_ in from_batch:
            text = batch.at[id_, "text"]
        if not text:
            raise LabelBatchError(f"contribution {id_} is not in the store and has no text")
        conflict = w is not None and b is not None and sorted(w) != sorted(b)
        themes = (b if prefer == "batch" else w) if conflict else (b or w)
        origin = "+".join(name for name, v in (("writer", w), ("batch", b)) if v is not None)
        rows.append(
            {
                "id": id_,
                "text": text,
                "themes": list(themes),
                "origin": origin,
                "conflict": conflict,
            }
        )
    columns = ["id", "text", "themes", "origin", "conflict"]
    return pd.DataFrame(rows, columns=columns).set_index("id")


def to_records(frame: pd.DataFrame, columns: Sequence[str] = ("text", "themes")) -> list[dict]:
    """Labelled rows as contract records (``id``, ``text``, ``themes``), e.g. to write a JSONL
    file that ``nlp-assises train`` reads."""
    frame = frame if "id" in frame.columns else frame.rename_axis("id").reset_index()
    return [{"id": r["id"], **{c: r[c] for c in columns}} for _, r in frame.iterrows()]
