"""The model registry: one versioned folder per trained model, a current version, a history.

``models/classifiers/<version>/`` holds a model and its ``model_card.json``;
``models/classifiers/registry.json`` names the current version and the promotion history, so that
promoting and rolling back are one command each. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

from nlp_assises.classify.estimator import ThemeClassifier
from nlp_assises.classify.zero_shot import ZeroShotClassifier
from nlp_assises.embedding.base import Embedder
from nlp_assises.errors import ConfigurationError, ModelNotFoundError

ThemeModel = ThemeClassifier | ZeroShotClassifier
# Every kind of model the registry holds, by the ``kind`` of its card. Imported on use: the
# recurring proposals live in the clustering package, which imports this one.
_KINDS = {
    "supervised": "nlp_assises.classify.estimator:ThemeClassifier",
    "zero-shot": "nlp_assises.classify.zero_shot:ZeroShotClassifier",
    "known-proposals": "nlp_assises.clustering.known:KnownProposals",
}


def load_model(folder: str | Path, embedder: Embedder | None = None) -> ThemeModel:
    """Load any registered model folder, whatever its kind (read from its model card)."""
    folder = Path(folder)
    card_path = folder / "model_card.json"
    if not card_path.is_file():
        raise ModelNotFoundError(
            f"{folder}: not a classifier folder (no model_card.json). Train one with "
            "`nlp-assises train LABELED --scheme FILE.toml -o DIR`."
        )
    kind = json.loads(card_path.read_text()).get("kind")
    if kind not in _KINDS:
        raise ConfigurationError(f"{folder}: unknown model kind {kind!r}")
    module, name = _KINDS[kind].split(":")
    model = getattr(import_module(module), name).load(folder, embedder)
    model.card.setdefault("version", folder.name)
    return model


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    os.replace(tmp, path)


class ModelRegistry:
    """Versioned model folders under ``root``, a current version and a promotion history.

    Example::

        registry = ModelRegistry("models/classifiers")
        version = registry.add(model)          # saved, not yet in use
        registry.promote(version)              # now current
        registry.rollback()                    # the previous one again
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def _index_path(self) -> Path:
        return self.root / "registry.json"

    def _index(self) -> dict:
        if self._index_path.is_file():
            return json.loads(self._index_path.read_text())
        return {"current": None, "history": []}

    def versions(self) -> list[dict]:
        """Every model folder with its card, oldest first, the current one marked."""
        if not self.root.is_dir():
            return []
        current = self._index().get("current")
        out = []
        folders = [p for p in self.root.iterdir() if (p / "model_card.json").is_file()]
        # Oldest first: the order in which the versions were added.
        for folder in sorted(folders, key=lambda p: (p / "model_card.json").stat().st_mtime_ns):
            card = json.loads((folder / "model_card.json").read_text())
            out.append(
                {
                    "version": folder.name,
                    "current": folder.name == current,
                    "kind": card.get("kind"),
                    "trained_at": card.get("trained_at"),
                    "metrics": card.get("metrics", {}),
                    "embedder_id": card.get("embedder_id"),
                    "scheme": card.get("scheme", {}).get("name"),
                }
            )
        return out

    @property
    def current(self) -> str | None:
        return self._index().get("current")

    def path(self, version: str | None = None) -> Path:
        version = version or self.current
        if version is None:
            raise ModelNotFoundError(
                f"no current classifier in {self.root}: run `make models` or "
                "`nlp-assises models train-default`."
            )
        folder = self.root / version
        if not (folder / "model_card.json").is_file():
            raise ModelNotFoundError(f"no model version {version!r} in {self.root}")
        return folder

    def load(self, version: str | None = None, embedder: Embedder | None = None) -> ThemeModel:
        return load_model(self.path(version), embedder)

    def add(self, model: ThemeModel, *, promote: bool = False, prefix: str = "clf") -> str:
        """Save ``model`` as a new version; return its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        digest = hashlib.sha256(json.dumps(model.card, sort_keys=True).encode()).hexdigest()[:6]
        version = f"{prefix}-{stamp}-{digest}"
        model.card["version"] = version
        tmp = self.root / f".{version}.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        model.save(tmp)
        os.replace(tmp, self.root / version)
        if promote:
            self.promote(version)
        return version

    def promote(self, version: str) -> None:
        self.path(version)  # must exist
        index = self._index()
        if index.get("current") == version:
            return
        index["history"] = [*index.get("history", []), version]
        index["current"] = version
        self.root.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(self._index_path, index)

    def rollback(self) -> str:
        """Make the previously promoted version current again; return it."""
        index = self._index()
        history = index.get("history", [])
        if len(history) < 2:
            raise ConfigurationError("nothing to roll back to: only one version was ever promoted")
        history = history[:-1]
        index["history"], index["current"] = history, history[-1]
        _write_json_atomic(self._index_path, index)
        return history[-1]
