"""Measure what a writer key receives of personal data on the sample consultation.

Runs the whole pipeline on ``nlp_assises/data/sample`` into a fresh store, then, with a writer
key, reads every contribution through ``GET /v1/contributions/{id}`` and its page
``/contributions/{id}``, and counts the contributions whose answer holds an e-mail address or a
phone number, or one of the values pseudonymisation replaced in it (the ``before`` of its
pseudonym repairs, read from the store). Prints one JSON object.

    PYTHONPATH=$PWD .venv/bin/python scripts/privacy_leak.py

It uses only the app, the pipeline and the keys, so it also measures an older checkout:
``PYTHONPATH=/path/to/other/checkout .venv/bin/python scripts/privacy_leak.py``.
"""

from __future__ import annotations

import html
import json
import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "nlp_assises" / "data" / "sample"
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def main() -> int:
    from fastapi.testclient import TestClient

    from nlp_assises.keys import create_key
    from nlp_assises.pipeline import Pipeline
    from nlp_assises.settings import Settings
    from nlp_assises.store import Store
    from service.app import create_app

    with tempfile.TemporaryDirectory(prefix="privacy-leak-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", models_dir=REPO / "models")
        Pipeline(settings).run(SAMPLE)
        store = Store.from_settings(settings)
        writer = create_key(store, "measure", "writer")
        counts = {"contributions": 0, "email_or_phone": 0, "personal_value": 0, "any": 0}
        with TestClient(create_app(settings)) as client:
            client.cookies.set("nlp_assises_key", writer)
            for contribution in store.contributions():
                values = {
                    r["before"]
                    for r in contribution.repairs or []
                    if r["kind"] == "pseudonym" and len(r.get("before") or "") >= 3
                }
                api = client.get(
                    f"/v1/contributions/{contribution.id}", headers={"X-API-Key": writer}
                )
                page = client.get(f"/contributions/{contribution.id}")
                if api.status_code != 200 or page.status_code != 200:
                    raise SystemExit(f"{contribution.id}: {api.status_code} {page.status_code}")
                seen = "\n".join(_strings(api.json())) + "\n" + html.unescape(page.text)
                contact = bool(EMAIL.search(seen) or PHONE.search(seen))
                personal = any(v in seen for v in values)
                counts["contributions"] += 1
                counts["email_or_phone"] += contact
                counts["personal_value"] += personal
                counts["any"] += contact or personal
        json.dump(counts, sys.stdout)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
