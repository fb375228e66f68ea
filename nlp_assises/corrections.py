"""Writers' corrections: what they are, how they are checked, and how they rewrite a clustering run.

A correction is stored once (who, when, what) and applied to every clustering run made after it,
so a renamed proposal keeps its name when the proposals are recomputed (cluster ids are stable
across runs). Corrections of themes (``move_contribution``, ``confirm_review``) are also labelled
data: :func:`theme_labels` turns them into training labels.

Applying is a pure function over plain dicts (the shapes :class:`ProposalClusterer` produces), so
the store, the pipeline and a notebook all apply corrections the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from nlp_assises.errors import NlpAssisesError
from nlp_assises.scheme import HORS_THEME

KINDS: dict[str, str] = {
    "rename_proposal": "renommer une proposition",
    "merge_proposals": "fusionner des propositions",
    "split_proposal": "scinder une proposition",
    "move_contribution": "changer les thèmes d'une contribution",
    "confirm_review": "confirmer les thèmes d'une contribution à revoir",
    "pick_quote": "retenir une citation pour le rapport",
    "unpick_quote": "retirer une citation du rapport",
}
THEME_KINDS = ("move_contribution", "confirm_review")
MAX_LABEL_CHARS = 200


class CorrectionError(NlpAssisesError, ValueError):
    """A correction that cannot be taken; the message says why, in French."""


class UnknownTarget(CorrectionError):
    """The proposal or contribution a correction names is not in the store (or no longer)."""


@dataclass(frozen=True)
class Correction:
    kind: str
    target: str
    payload: dict[str, Any] = field(default_factory=dict)
    author: str = ""
    id: int | None = None
    created_at: datetime | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "payload": self.payload,
            "author": self.author,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True)
class Member:
    """What applying needs to know of a contribution to recount a proposal."""

    person: str  # campaign id, author pseudonym or the contribution id: one per person
    campaign: str | None = None
    date: datetime | None = None


def validate(correction: Correction, theme_ids: Sequence[str]) -> Correction:
    """Check a correction's shape; returns it with its payload normalised."""
    if correction.kind not in KINDS:
        raise CorrectionError(
            f"type de correction inconnu {correction.kind!r} ; attendu : {', '.join(KINDS)}"
        )
    if not correction.target or not correction.target.strip():
        raise CorrectionError("la correction doit désigner une proposition ou une contribution")
    payload = dict(correction.payload or {})
    kind = correction.kind
    if kind in ("rename_proposal", "split_proposal"):
        label = " ".join(str(payload.get("label") or "").split())
        if not label:
            raise CorrectionError("le nouvel intitulé est vide")
        if len(label) > MAX_LABEL_CHARS:
            raise CorrectionError(f"l'intitulé dépasse {MAX_LABEL_CHARS} caractères")
        payload["label"] = label
    if kind == "merge_proposals":
        sources = [s for s in payload.get("sources") or [] if s and s != correction.target]
        if not sources:
            raise CorrectionError("indiquez au moins une autre proposition à fusionner")
        payload["sources"] = list(dict.fromkeys(sources))
    if kind == "split_proposal":
        ids = [c for c in payload.get("contribution_ids") or [] if c]
        if not ids:
            raise CorrectionError(
                "choisissez les contributions qui forment la nouvelle proposition"
            )
        payload["contribution_ids"] = list(dict.fromkeys(ids))
    if kind in THEME_KINDS:
        themes = list(dict.fromkeys(payload.get("themes") or []))
        unknown = [t for t in themes if t not in theme_ids and t != HORS_THEME]
        if unknown:
            raise CorrectionError(
                f"thème inconnu {unknown[0]!r} ; attendu : {', '.join([*theme_ids, HORS_THEME])}"
            )
        if not themes:
            raise CorrectionError(f"choisissez au moins un thème, ou {HORS_THEME}")
        if HORS_THEME in themes and len(themes) > 1:
            raise CorrectionError(f"{HORS_THEME} exclut les autres thèmes")
        payload["themes"] = themes
    if kind in ("pick_quote", "unpick_quote"):
        if not payload.get("contribution_id") or not str(payload.get("text") or "").strip():
            raise CorrectionError("une citation a un texte et une contribution")
        payload["start"] = int(payload.get("start") or 0)
    return Correction(
        kind=kind,
        target=correction.target.strip(),
        payload=payload,
        author=correction.author,
        id=correction.id,
        created_at=correction.created_at,
    )


def split_id(correction: Correction) -> str:
    """The id of the proposal a split creates: derived from the correction, so stable."""
    return f"{correction.target}-s{correction.id}"


def touched_proposals(correction: Correction) -> set[str]:
    """The proposal ids a correction reads or rewrites (empty for contribution corrections)."""
    if correction.kind == "merge_proposals":
        return {correction.target, *correction.payload["sources"]}
    if correction.kind in THEME_KINDS:
        return set()
    return {correction.target}


@dataclass
class AppliedRun:
    clusters: list[dict]
    members: list[dict]
    applied: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)  # targets no longer in the run


def apply_corrections(
    clusters: Sequence[dict],
    members: Sequence[dict],
    corrections: Iterable[Correction],
    info: Mapping[str, Member],
) -> AppliedRun:
    """The run as writers corrected it, corrections taken in the order they were made.

    ``info`` describes every member contribution (for recounting people and dates).
    """
    by_id = {c["id"]: dict(c) for c in clusters}
    order = [c["id"] for c in clusters]
    rows = [dict(m) for m in members]
    run = AppliedRun(clusters=[], members=[])
    dirty: set[str] = set()
    for correction in corrections:
        if correction.kind in THEME_KINDS:
            themes = set(correction.payload["themes"])
            leaving = {
                r["cluster_id"]
                for r in rows
                if r["contribution_id"] == correction.target
                and by_id.get(r["cluster_id"], {}).get("theme") not in themes
            }
            if leaving:
                rows = [
                    r
                    for r in rows
                    if not (
                        r["contribution_id"] == correction.target and r["cluster_id"] in leaving
                    )
                ]
                dirty |= leaving
            run.applied.append(correction.id)
            continue
        if not touched_proposals(correction) <= by_id.keys():
            run.orphaned.append(correction.id)
            continue
        target = by_id[correction.target]
        if correction.kind == "rename_proposal":
            target["label"] = correction.payload["label"]
            target["renamed"] = True
        elif correction.kind == "merge_proposals":
            sources = correction.payload["sources"]
            if any(by_id[s]["theme"] != target["theme"] for s in sources):
                run.orphaned.append(correction.id)
                continue
            for source in sources:
                merged = by_id.pop(source)
                target["quotes"] = _merge_quotes(target["quotes"], merged["quotes"])
                # its variants stay variants of the merged proposal, under their own ids
                target["sub_proposals"] = [
                    *(target.get("sub_proposals") or []),
                    *(merged.get("sub_proposals") or []),
                ]
            for r in rows:
                if r["cluster_id"] in sources:
                    r["cluster_id"] = correction.target
            dirty.add(correction.target)
        elif correction.kind == "split_proposal":
            moving = set(correction.payload["contribution_ids"])
            new_id = split_id(correction)
            # The writer said these contributions make a proposal of their own: wherever a new
            # run put them in the proposal's theme (not only in the proposal they left), they
            # go to it; orphaned only when none is left in the theme.
            moved = [
                r
                for r in rows
                if r["contribution_id"] in moving
                and by_id.get(r["cluster_id"], {}).get("theme") == target["theme"]
            ]
            if not moved:
                run.orphaned.append(correction.id)
                continue
            left = {r["cluster_id"] for r in moved}
            for r in moved:
                r["cluster_id"] = new_id
            by_id[new_id] = {
                **{
                    k: v
                    for k, v in target.items()
                    if k not in ("quotes", "renamed", "sub_proposals")
                },
                "sub_proposals": [],
                "id": new_id,
                "label": correction.payload["label"],
                "renamed": True,
                "quotes": [
                    {
                        "contribution_id": r["contribution_id"],
                        "text": r["unit_text"],
                        "start": r.get("unit_start") or 0,
                    }
                    for r in moved[:5]
                    if r.get("unit_text")
                ],
            }
            order.insert(order.index(correction.target) + 1, new_id)
            dirty |= left | {correction.target, new_id}  # recounted, their quotes dropped
        elif correction.kind == "pick_quote":
            quote = {k: correction.payload[k] for k in ("contribution_id", "text", "start")}
            kept = [
                q
                for q in target["quotes"]
                if (q["contribution_id"], q["text"]) != (quote["contribution_id"], quote["text"])
            ]
            target["quotes"] = [{**quote, "picked": True}, *kept]
        elif correction.kind == "unpick_quote":
            key = (correction.payload["contribution_id"], correction.payload["text"])
            target["quotes"] = [
                {k: v for k, v in q.items() if k != "picked"}
                if (q["contribution_id"], q["text"]) == key
                else q
                for q in target["quotes"]
            ]
        run.applied.append(correction.id)
    recount(by_id, dirty, rows, info)
    run.clusters = [by_id[i] for i in order if i in by_id and by_id[i]["size"] > 0]
    kept_ids = {c["id"] for c in run.clusters}
    run.members = [r for r in rows if r["cluster_id"] in kept_ids]
    return run


def _merge_quotes(first: list[dict], second: list[dict], limit: int = 5) -> list[dict]:
    seen = {q["contribution_id"] for q in first}
    picked = [q for q in [*first, *second] if q.get("picked")]
    rest = [q for q in first if not q.get("picked")] + [
        q for q in second if not q.get("picked") and q["contribution_id"] not in seen
    ]
    return [*picked, *rest[: max(0, limit - len(picked))]]


def recount(
    by_id: dict[str, dict], dirty: set[str], rows: list[dict], info: Mapping[str, Member]
) -> None:
    """Sizes, people, campaign copies, shares and dates of the proposals a correction changed."""
    contributions: dict[str, list[str]] = {i: [] for i in dirty}
    for r in rows:
        if r["cluster_id"] in contributions:
            contributions[r["cluster_id"]].append(r["contribution_id"])
    for cluster_id, ids in contributions.items():
        cluster = by_id.get(cluster_id)
        if cluster is None:
            continue
        old_size = cluster.get("size") or 0
        theme_size = old_size / cluster["share"] if cluster.get("share") else 0
        count_members(cluster, list(dict.fromkeys(ids)), info, theme_size)


def count_members(
    cluster: dict, ids: list[str], info: Mapping[str, Member], theme_size: float
) -> None:
    """A proposal's counts from its contributions ``ids`` (distinct): size, people (a campaign
    counts once), campaign copies, share of ``theme_size`` (kept when 0: unknown) and dates;
    quotes of contributions no longer in it are dropped."""
    described = [info[i] for i in ids if i in info]
    campaigns: dict[str, int] = {}
    for member in described:
        if member.campaign:
            campaigns[member.campaign] = campaigns.get(member.campaign, 0) + 1
    dates = sorted(member.date for member in described if member.date)
    cluster["size"] = len(ids)
    cluster["contributions"] = ids
    cluster["people"] = len({m.person for m in described}) if described else len(ids)
    cluster["campaign_copies"] = sum(campaigns.values()) - len(campaigns)
    if theme_size:
        cluster["share"] = round(len(ids) / theme_size, 4)
    cluster["first_date"] = dates[0] if dates else None
    cluster["last_date"] = dates[-1] if dates else None
    kept = set(ids)
    cluster["quotes"] = [q for q in cluster["quotes"] if q["contribution_id"] in kept]
    if cluster.get("sub_proposals"):
        cluster["sub_proposals"] = count_sub_proposals(cluster["sub_proposals"], kept, info)


def count_sub_proposals(
    subs: Sequence[dict], kept: set[str], info: Mapping[str, Member], min_size: int = 3
) -> list[dict]:
    """A proposal's sub-proposals once its contributions are ``kept``: a contribution that left
    the proposal leaves its sub-proposals too, and a sub-proposal left with fewer than
    ``min_size`` contributions is no variant any more (it disappears)."""
    out = []
    for sub in subs:
        ids = [i for i in sub["contributions"] if i in kept]
        if len(ids) < min_size:
            continue
        described = [info[i] for i in ids if i in info]
        left = set(ids)
        out.append(
            {
                **sub,
                "size": len(ids),
                "people": len({m.person for m in described}) if described else len(ids),
                "contributions": ids,
                "quotes": [q for q in sub["quotes"] if q["contribution_id"] in left],
            }
        )
    return out


def theme_labels(corrections: Iterable[Correction]) -> dict[str, list[str]]:
    """Contribution id → the themes a writer last gave it: labelled data for retraining."""
    labels: dict[str, list[str]] = {}
    for correction in corrections:
        if correction.kind in THEME_KINDS:
            labels[correction.target] = list(correction.payload["themes"])
    return labels


def follow_lineage(
    corrections: Iterable[Correction], present: set[str], continued: Mapping[str, list[str]]
) -> list[Correction]:
    """Merges restated for a new run: a merged proposal, seen again as pieces, is a ``split`` of
    the merged one in the lineage (``continued``: old id → the new ids that split from it); the
    writer said those pieces belong together, so they are merged again. Sources no longer in
    the run are dropped, and a merge with nothing left to merge is already true."""
    out = []
    for correction in corrections:
        if correction.kind != "merge_proposals":
            out.append(correction)
            continue
        sources = [s for s in correction.payload["sources"] if s in present]
        sources += [s for s in continued.get(correction.target, []) if s not in sources]
        if sources:
            out.append(replace(correction, payload={**correction.payload, "sources": sources}))
    return out
