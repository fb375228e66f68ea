"""How fast the writers' pages and the read API answer with 100,000 contributions in the store.

The store is the sample consultation run through the whole pipeline, then grown to the target size
with generated contributions (each a team text joined to a sentence of another text of the same
theme: generated corpora are for scale benchmarks only). Generated rows inherit the classification
and the proposals of the text they grew from, so every page has realistic amounts to show.
A real `nlp-assises serve` answers; each URL is fetched cold once, then warm several times.

    .venv/bin/python bench/pages.py [--size 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import httpx
from common import REPO, Timer, free_port, server_env, start_server, stop_server, wait_ready, write
from sqlalchemy import func, insert, select, update

from nlp_assises.pipeline import Pipeline
from nlp_assises.settings import Settings
from nlp_assises.store import models as m

CLI = [sys.executable, "-m", "nlp_assises.cli"]
SAMPLE = REPO / "nlp_assises" / "data" / "sample"
CHUNK = 5000


def grow(pipeline: Pipeline, size: int, seed: int = 0) -> int:
    """Add generated contributions until the store holds ``size``; returns how many were added."""
    store = pipeline.store
    base = store.contributions()
    decisions = store.latest_classifications()
    with store.session() as session:
        run_id = session.scalar(select(m.ClusterRun.id).where(m.ClusterRun.current))
        members: dict[str, list[m.ClusterMember]] = {}
        for row in session.scalars(select(m.ClusterMember).where(m.ClusterMember.run_id == run_id)):
            members.setdefault(row.contribution_id, []).append(row)
    by_theme: dict[str, list] = {}
    for c in base:
        primary = decisions[c.id].primary if c.id in decisions else "hors_theme"
        by_theme.setdefault(primary, []).append(c)
    rng = random.Random(seed)
    todo = size - len(base)
    added = 0
    while added < todo:
        contributions, classifications, member_rows = [], [], []
        for _ in range(min(CHUNK, todo - added)):
            source = base[rng.randrange(len(base))]
            decision = decisions.get(source.id)
            partner = rng.choice(by_theme[decision.primary if decision else "hors_theme"])
            sentences = re.split(r"(?<=[.!?])\s+", partner.text.strip())
            text = f"{source.text}\n\n{rng.choice(sentences)}"
            cid = f"GEN-{added:06d}"
            digest = hashlib.sha256(f"{cid}\n{text}".encode()).hexdigest()
            contributions.append(
                {
                    "id": cid,
                    "submission_key": digest,
                    "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                    "original": text,
                    "text": text,
                    "repairs": source.repairs,
                    "flags": source.flags,
                    "language": source.language,
                    "source": "bench",
                    "channel": source.channel,
                    "date": (source.date + timedelta(days=rng.randrange(40)))
                    if source.date
                    else None,
                    "author_pseudonym": f"auteur-gen{added:06d}",
                    "themes_gold": None,
                    "meta": {},
                }
            )
            if decision is not None:
                classifications.append(
                    {
                        "contribution_id": cid,
                        "model_version": decision.model_version,
                        "scores": decision.scores,
                        "labels": decision.labels,
                        "primary": decision.primary,
                        "needs_review": decision.needs_review,
                        "margin": decision.margin,
                    }
                )
            for row in members.get(source.id, []):
                member_rows.append(
                    {
                        "run_id": run_id,
                        "cluster_id": row.cluster_id,
                        "contribution_id": cid,
                        "unit_text": row.unit_text,
                        "unit_start": row.unit_start,
                        "score": row.score,
                    }
                )
            added += 1
        with store.session() as session:
            session.execute(insert(m.Contribution), contributions)
            if classifications:
                session.execute(insert(m.Classification), classifications)
            if member_rows:
                session.execute(insert(m.ClusterMember), member_rows)
        print(f"grown to {len(base) + added} contributions", file=sys.stderr, flush=True)
    with store.session() as session:  # proposals' sizes as the members now say
        sizes = session.execute(
            select(
                m.ClusterMember.cluster_id,
                func.count(func.distinct(m.ClusterMember.contribution_id)),
            )
            .where(m.ClusterMember.run_id == run_id)
            .group_by(m.ClusterMember.cluster_id)
        ).all()
        for cluster_id, count in sizes:
            session.execute(
                update(m.Cluster)
                .where(m.Cluster.run_id == run_id, m.Cluster.id == cluster_id)
                .values(size=count, people=count)
            )
    return added


def page_urls(base: str, client: httpx.Client, store) -> dict[str, str]:
    """One URL per kind of page and read endpoint, with real ids from the store."""
    cluster = store.current_clusters()[0]
    contribution = store.search(cluster=cluster.id, limit=1)[1][0][0]
    urls = {
        "overview": "/",
        "theme": f"/themes/{cluster.theme}",
        "proposal": f"/propositions/{cluster.id}",
        "contribution": f"/contributions/{contribution.id}",
        "proposal_page_40": f"/propositions/{cluster.id}?debut=800",
        "search_words": "/recherche?q=patrouilles",
        "search_meaning": "/recherche?q=des+policiers+à+pied+dans+le+quartier&mode=sens",
        "search_like": f"/recherche?comme={contribution.id}",
        "review_queue": "/a-relire",
        "review_queue_far": "/a-relire?debut=10000",
        "corrections": "/corrections",
        "api_themes": "/v1/themes",
        "api_clusters": f"/v1/clusters?theme={cluster.theme}",
        "api_cluster_members": f"/v1/clusters/{cluster.id}/contributions",
        "api_contributions_theme": f"/v1/contributions?theme={cluster.theme}",
        "api_contributions_text": "/v1/contributions?q=commissariat",
        "api_contribution": f"/v1/contributions/{contribution.id}",
        "api_search_meaning": "/v1/search?q=plainte+en+ligne",
    }
    # Pages not served by this version are reported as such, not timed.
    return {name: url for name, url in urls.items() if client.get(url).status_code != 404}


def measure(client: httpx.Client, urls: dict[str, str], repeat: int) -> dict:
    out = {}
    for name, url in urls.items():
        timings = []
        for _ in range(repeat + 1):
            with Timer() as t:
                response = client.get(url)
            timings.append(t.seconds)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
        warm = sorted(timings[1:])
        out[name] = {
            "url": url,
            "cold_ms": round(1000 * timings[0], 1),
            "warm_median_ms": round(1000 * warm[len(warm) // 2], 1),
            "warm_max_ms": round(1000 * warm[-1], 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", models_dir=REPO / "models")
        pipeline = Pipeline(settings)
        with Timer() as t_run:
            pipeline.run(SAMPLE)
        with Timer() as t_grow:
            grow(pipeline, args.size)
        env = server_env(settings.data_dir)
        key = subprocess.run(
            [*CLI, "keys", "create", "bench", "--role", "admin"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        port = free_port()
        server = start_server(port, 1, str(settings.data_dir))
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, server, 180)
            headers = {"X-API-Key": key}  # the pages take a header key as well as a session
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                # The search index is built in the background at start-up; its first use
                # waits for it: timed apart, then the pages as writers meet them.
                with Timer() as t_index:
                    client.get("/v1/search", params={"q": "patrouilles"})
                urls = page_urls(base, client, pipeline.store)
                timings = measure(client, urls, args.repeat)
        finally:
            stop_server(server)
    slowest = max(v["warm_max_ms"] for v in timings.values())
    slowest_cold = max(v["cold_ms"] for v in timings.values())
    write(
        "pages",
        {
            "contributions": args.size,
            "pipeline_on_sample_s": round(t_run.seconds, 1),
            "grow_s": round(t_grow.seconds, 1),
            "first_semantic_search_s": round(t_index.seconds, 1),
            "pages": timings,
            "slowest_warm_ms": slowest,
            "slowest_cold_ms": slowest_cold,
            "target_ms": 1000,
            "target_met": slowest_cold < 1000,
        },
    )


if __name__ == "__main__":
    main()
