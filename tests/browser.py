"""The real headless Chromium of the machine (Debian's ``chromium``), driven by playwright's
driver only: playwright never downloads a browser here (no ``playwright install``)."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path | None:
    found = shutil.which("chromium")
    return Path(found) if found else (CHROMIUM if CHROMIUM.exists() else None)


@contextmanager
def browser_context(**context_options):
    """A fresh browser (with its own throw-away profile) and one context in it."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError(
            "chromium is not installed (make test installs it: apt-get install chromium)"
        )
    with (
        tempfile.TemporaryDirectory(prefix="nlp-assises-chromium-") as profile,
        sync_playwright() as p,
    ):
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            headless=True,
            args=ARGS,
            accept_downloads=True,
            locale="fr-FR",
            **context_options,
        )
        try:
            yield context
        finally:
            context.close()


def sign_in(page, base: str, key: str, then: str = "/") -> None:
    """Sign in through the real form, as a writer does."""
    page.goto(f"{base}/connexion?suite={then}")
    page.get_by_label("Clé d'accès").fill(key)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
