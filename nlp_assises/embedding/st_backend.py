"""sentence-transformers backend: any model from a local folder, never from a hub."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp_assises.embedding.base import l2_normalize
from nlp_assises.errors import ConfigurationError

# Set before sentence-transformers or huggingface_hub is imported anywhere through us.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _weights_fingerprint(folder: Path, sample: int = 1 << 20) -> str:
    """A short hash of the model files, so a rebuilt model never reuses stale cached vectors.

    Configuration files are hashed whole; weight files by size and their first and last MiB, which
    changes with any retraining and costs milliseconds on a 400 MB file.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        if path.suffix == ".json":
            digest.update(path.read_bytes())
        elif path.suffix in {".safetensors", ".bin", ".npz"}:
            size = path.stat().st_size
            digest.update(str(size).encode())
            with path.open("rb") as handle:
                digest.update(handle.read(sample))
                handle.seek(max(0, size - sample))
                digest.update(handle.read(sample))
    return digest.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """Wraps a sentence-transformers model stored in a local folder.

    The folder is loaded with ``local_files_only`` so that a typo in a path fails loudly instead of
    silently trying a download.
    """

    def __init__(self, path: str | Path, *, device: str = "cpu") -> None:
        self.path = Path(path)
        if not (self.path / "modules.json").is_file():
            raise ConfigurationError(
                f"{self.path} is not a sentence-transformers model folder (no modules.json). "
                "Build the default one with `nlp-assises models build-embedder`, or point "
                "NLP_ASSISES_EMBEDDING_MODEL at a folder saved with `SentenceTransformer.save()`."
            )
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(
            str(self.path), device=device, local_files_only=True, trust_remote_code=False
        )
        self.dim = int(self._model.get_embedding_dimension())
        card = self.path / "nlp_assises.json"
        name = json.loads(card.read_text())["name"] if card.is_file() else self.path.name
        self.model_id = f"{name}@{_weights_fingerprint(self.path)}"

    @property
    def model(self):
        """The underlying ``SentenceTransformer``, for BERTopic and fine-tuning."""
        return self._model

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=False,
        )
        return l2_normalize(vectors)
