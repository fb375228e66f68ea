"""A proposal refit whose memory does not grow with the store: fitted on a sample, the rest placed.

``Pipeline.cluster_store`` holds every contribution, its proposal units and their vectors at once:
right for a prefecture, some 20 GiB for a million contributions. :class:`SampledRefit` streams
the store instead, three times, a partition at a time:

1. campaigns: each text reduced to its LSH band keys (``CampaignDetector.band_keys``, on the
   workers); candidates found from the keys, confirmed on their texts only;
2. a seeded sample of ``sample_size`` contributions (chosen by a hash of their id, so the same
   store gives the same sample) is read and ``ProposalClusterer.fit`` runs on it as on any
   consultation: proposals, labels, quotes, recognised recurring proposals;
3. every other contribution is placed in those proposals by the fit's own rule
   (``clustering.placement.place``, on the workers).

The proposals' counts (size, people, campaign copies, share, dates) are then recounted over all
their members, and the run is stored as ``cluster_store`` stores one (lineage, writers'
corrections). The driver holds the members, the campaign keys and the sample, not the texts.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

import numpy as np

from nlp_assises.clustering import CampaignDetector, Contribution
from nlp_assises.clustering.placement import Placed, Placement, place
from nlp_assises.clustering.results import ClusteringResult
from nlp_assises.corrections import count_members

# (partitions of texts) -> their band keys, one array a partition, in order
KeysMap = Callable[[Iterable[list[str]]], Iterator[np.ndarray]]
# (partitions of contributions, placement) -> one Placed a partition, in order
PlaceMap = Callable[[Iterable[list[Contribution]], Placement], Iterator[Placed]]


def release_memory() -> None:
    """Give the memory a finished step freed back to the system: glibc keeps freed blocks for
    reuse, so the driver's resident memory would otherwise stay at each step's peak and the
    next step's would add to it. A no-op where ``malloc_trim`` does not exist."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def in_sample(contribution_id: str, fraction: float) -> bool:
    """Whether a contribution is in the fit's sample: a hash of its id below ``fraction``,
    the same in every process and run (the store's order does not matter)."""
    digest = hashlib.blake2b(contribution_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") < fraction * 2**64


class SampledRefit:
    """The refit of ``pipeline``'s store described above. ``keys`` and ``place`` run the
    per-partition steps elsewhere (the Dask engine's workers); by default in this process.
    ``prepare``: ``ProposalClusterer.prepare`` for the sample, elsewhere (as in
    ``cluster_store``)."""

    def __init__(
        self,
        pipeline,
        *,
        sample_size: int,
        partition_size: int = 1000,
        keys: KeysMap | None = None,
        place: PlaceMap | None = None,
        prepare=None,
    ) -> None:
        self.pipeline = pipeline
        self.sample_size = sample_size
        self.partition_size = partition_size
        self.keys = keys or self._keys_here
        self.place = place or self._place_here
        self.prepare = prepare

    def run(self) -> ClusteringResult:
        pipeline, store = self.pipeline, self.pipeline.store
        progress = pipeline.progress
        total = store.count()
        campaigns = self.campaigns(total)
        store.set_campaigns(campaigns)
        release_memory()
        fraction = min(1.0, self.sample_size / max(1, total))
        sample = [c for c in self.items(campaigns) if in_sample(c.id, fraction)]
        clusterer = pipeline.proposal_clusterer()
        prepared = self.prepare(sample) if self.prepare is not None else None
        progress("fit", 0, 1)
        result = clusterer.fit(sample, pipeline.scheme.theme_ids, prepared=prepared)
        progress("fit", 1, 1)
        placement = Placement.from_fit(clusterer, result)
        del prepared
        release_memory()
        theme_sizes = Counter()
        non_answers = set(result.non_answers)
        for c in sample:
            if c.id not in non_answers:
                theme_sizes.update(set(c.themes))
        rest = (c for c in self.items(campaigns) if not in_sample(c.id, fraction))
        done = len(sample)
        for placed in self.place(chunks(rest, self.partition_size), placement):
            for member in placed.members:  # one string a proposal, not one a member
                member["cluster_id"] = sys.intern(member["cluster_id"])
            result.members += placed.members
            result.non_answers += placed.non_answers
            theme_sizes.update(placed.theme_sizes)
            done += self.partition_size
            progress("place", min(done, total), total)
        self.recount(result, theme_sizes)
        result.params |= {"campaigns": len(set(campaigns.values())), "fit_sample": len(sample)}
        progress("save", 0, 1)
        pipeline.save_clustering(result, None)
        progress("save", 1, 1)
        return result

    # -- the steps ------------------------------------------------------------------------------
    def campaigns(self, total: int) -> dict[str, str]:
        """Campaign members' ids → campaign, from the band keys of every stored text."""
        store = self.pipeline.store
        detector = CampaignDetector()
        ids: list[str] = []
        kept: list[np.ndarray] = []
        batches = chunks(((cid, text) for cid, text, *_ in store.clustering_rows()), 5000)
        order: list[list[str]] = []

        def texts() -> Iterator[list[str]]:
            for batch in batches:
                order.append([cid for cid, _ in batch])
                yield [text for _, text in batch]

        done = 0
        for keys in self.keys(texts()):
            batch_ids = order.pop(0)
            eligible = np.flatnonzero(keys.any(axis=1))
            ids += [batch_ids[i] for i in eligible]
            kept.append(keys[eligible])
            done += len(batch_ids)
            self.pipeline.progress("campaigns", done, total)
        matrix = np.vstack(kept) if kept else np.zeros((0, 1), dtype=np.uint64)
        return detector.group(ids, matrix, store.texts)

    def items(self, campaigns: dict[str, str]) -> Iterator[Contribution]:
        """The stored contributions as the clusterer takes them, streamed (the themes rule of
        ``Pipeline.clustering_items``)."""
        from nlp_assises.pipeline import clustering_item

        writers_themes = self.pipeline.store.theme_corrections()
        for row in self.pipeline.store.clustering_rows():
            yield clustering_item(row, writers_themes, campaigns)

    def recount(self, result: ClusteringResult, theme_sizes: Counter) -> None:
        """Size, people, campaign copies, share and dates of every proposal over all its
        members; quotes and labels stay the sample's."""
        store = self.pipeline.store
        contributions: dict[str, dict[str, None]] = {c["id"]: {} for c in result.clusters}
        for member in result.members:
            contributions[member["cluster_id"]][member["contribution_id"]] = None
        for cluster in result.clusters:
            ids = list(contributions[cluster["id"]])
            theme_size = max(1, theme_sizes[cluster["theme"]])
            count_members(cluster, ids, store.member_info(ids), theme_size)

    # -- in this process ------------------------------------------------------------------------
    def _keys_here(self, partitions: Iterable[list[str]]) -> Iterator[np.ndarray]:
        detector = CampaignDetector()
        for texts in partitions:
            yield detector.band_keys(texts)

    def _place_here(
        self, partitions: Iterable[list[Contribution]], placement: Placement
    ) -> Iterator[Placed]:
        clusterer = self.pipeline.proposal_clusterer()
        for items in partitions:
            yield place(clusterer, items, placement)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one shorter), without holding more than one."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
