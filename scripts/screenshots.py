"""Screenshots of every writers' page into docs/screenshots/, taken in the machine's headless
Chromium (the same set-up as the browser tests) against a real `nlp-assises serve`.

    python scripts/screenshots.py                 # the pipeline on the sample, in a temporary store
    python scripts/screenshots.py --data-dir var  # an existing store (where it picks a quote)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser import browser_context, sign_in  # noqa: E402
from tests.conftest import CLI, Server, create_key  # noqa: E402

OUT = REPO / "docs" / "screenshots"
MAX_HEIGHT = 1500  # the top of long pages is enough to show them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an existing store's data folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nlp-assises-shots-") as tmp:
        env = dict(os.environ, NLP_ASSISES_MODELS_DIR=str(REPO / "models"))
        env.setdefault("HF_HUB_OFFLINE", "1")
        if args.data_dir:
            env["NLP_ASSISES_DATA_DIR"] = str(args.data_dir.resolve())
        else:
            env["NLP_ASSISES_DATA_DIR"] = str(Path(tmp) / "var")
            print("running the pipeline on the sample (a few minutes)...", flush=True)
            sample = REPO / "nlp_assises" / "data" / "sample"
            subprocess.run([*CLI, "run", str(sample)], env=env, check=True)
        admin = create_key(env, "admin")
        server = Server(env)
        try:
            shoot(server.base, admin, args.out)
        finally:
            server.stop()


def shoot(base: str, key: str, out: Path) -> None:
    import httpx

    out.mkdir(parents=True, exist_ok=True)
    api = httpx.Client(base_url=base, headers={"X-API-Key": key})
    proposal = api.get("/v1/clusters", params={"theme": "lien"}).json()[0]
    rows = api.get("/v1/contributions", params={"limit": 500, "q": "gendarmes"}).json()["items"]
    repaired = next(
        (r["id"] for r in rows if {"repaired", "pseudonymized"} <= set(r["flags"])), rows[0]["id"]
    )
    with browser_context(viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.goto(f"{base}/connexion")
        page.screenshot(path=str(out / "connexion.png"))
        sign_in(page, base, key)
        page.goto(f"{base}/propositions/{proposal['id']}")
        page.get_by_role("button", name="Retenir la citation").first.click()  # for the history
        shots = [
            ("vue-d-ensemble", "/"),
            ("theme", "/themes/lien"),
            ("proposition", f"/propositions/{proposal['id']}"),
            ("contribution", f"/contributions/{repaired}"),
            ("recherche", "/recherche?q=brigade&mode=mots"),
            ("semblables", f"/recherche?comme={repaired}"),
            ("a-relire", "/a-relire"),
            ("corrections", "/corrections"),
        ]
        for name, path in shots:
            page.goto(base + path)
            height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
            page.screenshot(
                path=str(out / f"{name}.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1280, "height": height},
            )
            print(f"{out / name}.png")


if __name__ == "__main__":
    main()
