"""The semantic-search index on a real store and the real embedder: it grows with the store,
encodes only what it has not seen, and ranks as a brute-force pass over every text would."""

from __future__ import annotations

import numpy as np

from nlp_assises.cleaning import Cleaner
from nlp_assises.records import Record
from nlp_assises.search_index import VectorIndex
from nlp_assises.store import Store

TEXTS = [
    "Il faudrait plus de patrouilles à pied dans le centre-ville le soir.",
    "Je voudrais pouvoir porter plainte en ligne sans me déplacer au commissariat.",
    "Les gendarmes devraient venir dans les écoles parler aux enfants.",
    "Créer un numéro unique pour signaler les rodéos urbains.",
    "Plus de policiers à pied et moins en voiture, pour qu'on les connaisse.",
]
MORE = [
    "Une application pour envoyer des photos de dépôts sauvages à la police municipale.",
    "Des réunions de quartier avec le commandant de brigade deux fois par an.",
]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to encode."""

    def __init__(self, embedder) -> None:
        self.embedder = embedder
        self.encoded = 0

    def encode(self, texts):
        self.encoded += len(texts)
        return self.embedder.encode(texts)


def _ingest(store, texts):
    records = [Record(text=t, source="test") for t in texts]
    store.ingest(records, Cleaner(pseudonymize=False, detect_language=False))


def test_index_grows_and_ranks_like_brute_force(settings, embedder):
    store = Store.from_settings(settings)
    _ingest(store, TEXTS)
    counting = CountingEmbedder(embedder)
    index = VectorIndex(counting, batch_size=2)
    assert index.refresh(store) == len(TEXTS) and counting.encoded == len(TEXTS)
    assert index.refresh(store) == 0 and counting.encoded == len(TEXTS)
    _ingest(store, MORE)
    assert index.refresh(store) == len(MORE) and counting.encoded == len(TEXTS) + len(MORE)

    contributions = store.contributions()
    probe = embedder.encode(["des policiers qui patrouillent à pied"])[0]
    vectors = np.asarray(embedder.encode([c.text for c in contributions]), np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    brute = [contributions[i].id for i in np.argsort(-(vectors @ (probe / np.linalg.norm(probe))))]
    assert [i for i, _ in index.search(probe, limit=3)] == brute[:3]

    first = brute[0]
    like = index.search(index.vector_of(first), limit=len(TEXTS) + len(MORE), exclude=first)
    assert first not in {i for i, _ in like} and len(like) == len(TEXTS) + len(MORE) - 1
    scores = [s for _, s in like]
    assert scores == sorted(scores, reverse=True)
    store.close()
