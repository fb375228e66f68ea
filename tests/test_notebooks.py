"""The notebooks run top to bottom on the sample consultation, in a temporary store with a copy
of the models (never the repository's), with a real Jupyter kernel; they are kept without outputs.

Each notebook ends with a cell of assertions on what it produced, so running it is the test. They
run in order on one store, as a data scientist would: 01 loads the sample, 02 retrains and may
promote, 03 re-clusters one theme, 04 starts another scheme.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "01_explorer_les_contributions.ipynb",
    "02_reentrainer_le_classifieur.ipynb",
    "03_ajuster_les_propositions.ipynb",
    "04_nouveau_schema.ipynb",
]

sys.path.insert(0, str(REPO / "scripts"))
from strip_notebooks import strip  # noqa: E402


def test_the_four_notebooks_are_there():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stripped(path):
    nb = nbformat.read(path, as_version=4)
    assert not strip(nb), f"{path.name} holds outputs: run `make strip-notebooks`"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, models_ready):
    """NLP_ASSISES_* pointing at a temporary store and a copy of the built models."""
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copytree(models_ready, root / "models", ignore=shutil.ignore_patterns("*.partial"))
    env = {
        "NLP_ASSISES_DATA_DIR": str(root / "var"),
        "NLP_ASSISES_MODELS_DIR": str(root / "models"),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "MPLBACKEND": "Agg",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    yield root
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.slow
def test_notebooks_run_in_order(workspace):
    before = {p: p.stat().st_mtime for p in (REPO / "notebooks").rglob("*")}
    registries = {p: p.read_bytes() for p in (REPO / "models").glob("*/registry.json")}
    timings = {}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        nbclient.NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        timings[path.stem] = round(time.perf_counter() - start, 1)
        last = nb.cells[-1]
        assert "assert" in last.source, f"{path.name} must end with a cell of assertions"
        printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
        assert printed.strip().endswith("ok"), f"{path.name}: last cell printed {printed!r}"
    print("notebook timings (s):", timings, "total", round(sum(timings.values()), 1))
    # Nothing was written beside the notebooks or into the repository's registry: the store and
    # the models the notebooks promote are the workspace's.
    after = {p: p.stat().st_mtime for p in (REPO / "notebooks").rglob("*")}
    assert after == before
    assert {p: p.read_bytes() for p in (REPO / "models").glob("*/registry.json")} == registries
    assert (workspace / "var" / "nlp_assises.db").is_file()
