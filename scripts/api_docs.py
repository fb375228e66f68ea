"""Write ``docs/api.md``, the reference of the public API (``nlp_assises.__all__``), from the
docstrings: ``python scripts/api_docs.py``. ``tests/test_api_docs.py`` checks it is up to date."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import nlp_assises

OUT = Path(__file__).resolve().parents[1] / "docs" / "api.md"

SECTIONS = {
    "Settings, pipeline and store": [
        "Settings",
        "Pipeline",
        "ensure_default_models",
        "Store",
        "Scheme",
        "Record",
        "read_records",
    ],
    "Bundled data": [
        "sample_consultation_path",
        "load_sample_labels",
        "load_labelled",
        "load_independent",
        "default_training_records",
        "default_classifier_training",
    ],
    "The store as DataFrames": ["contributions_frame", "clusters_frame", "repairs_frame"],
    "Cleaning and embeddings": [
        "Cleaner",
        "CleanResult",
        "Repair",
        "load_embedder",
        "CachedEmbedder",
    ],
    "Theme classification": [
        "ThemeClassifier",
        "ZeroShotClassifier",
        "Decision",
        "load_model",
        "ModelRegistry",
        "evaluate",
    ],
    "Labelling batches": [
        "review_queue",
        "export_batch",
        "read_batch",
        "training_labels",
        "to_records",
        "LabelBatchError",
    ],
    "Compare and promote models": [
        "compare_models",
        "Comparison",
        "promote_if_better",
        "Promotion",
    ],
    "Proposals": [
        "ProposalClusterer",
        "CampaignDetector",
        "KnownProposals",
        "cluster_theme",
        "stored_run",
        "compare_runs",
        "run_frame",
        "write_back",
        "topic_model",
    ],
    "One open question, without themes": [
        "cluster_texts",
        "TextClusters",
        "NonAnswerDetector",
    ],
}

INTRO = """# API reference

Generated from the docstrings by `python scripts/api_docs.py`; do not edit by hand.

Everything below is importable from the top level, imported on first use:

```python
import nlp_assises as na

settings = na.Settings()                        # NLP_ASSISES_* variables, .env
pipeline = na.Pipeline(settings)
df = na.contributions_frame(pipeline.store)     # one row per contribution
queue = na.review_queue(pipeline.store, n=40)   # the most uncertain first
na.export_batch(queue, "lot-01.csv", pipeline.scheme)
```

The notebooks in `notebooks/` walk through these calls on the sample consultation.
"""


def _signature(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def _doc(obj) -> str:
    return inspect.cleandoc(obj.__doc__) if obj.__doc__ else "(no docstring)"


def _methods(cls) -> list[str]:
    lines = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name not in cls.__dict__:
            continue
        func = member.__func__ if isinstance(member, classmethod | staticmethod) else member
        if isinstance(cls.__dict__[name], property):
            summary = (cls.__dict__[name].__doc__ or "").strip().splitlines()
            lines.append(f"- `{name}` (property){': ' + summary[0] if summary else ''}")
        elif callable(func):
            summary = (func.__doc__ or "").strip().splitlines()
            first = f": {summary[0]}" if summary else ""
            lines.append(f"- `{name}{_signature(func)}`{first}")
    return lines


def render() -> str:
    names = [n for n in nlp_assises.__all__ if n != "__version__"]
    placed = [n for group in SECTIONS.values() for n in group]
    missing = sorted(set(names) - set(placed))
    if missing:
        raise SystemExit(f"add {', '.join(missing)} to a section of scripts/api_docs.py")
    parts = [INTRO]
    for title, group in SECTIONS.items():
        parts.append(f"## {title}\n")
        for name in group:
            obj = getattr(nlp_assises, name)
            module = nlp_assises._EXPORTS[name]
            kind = "class" if inspect.isclass(obj) else "function"
            parts.append(f"### `{name}`\n")
            parts.append(f"`{module}.{name}{_signature(obj)}` ({kind})\n")
            parts.append(_doc(obj) + "\n")
            if inspect.isclass(obj):
                methods = _methods(obj)
                if methods:
                    parts.append("Methods:\n\n" + "\n".join(methods) + "\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
