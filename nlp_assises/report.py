"""The synthesis report: every number computed from the store at export time, then rendered as
Markdown, HTML or DOCX (styled headings, a table per theme)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nlp_assises.privacy import clusters_view, store_repairs
from nlp_assises.scheme import Scheme
from nlp_assises.stats import (
    ConsultationStats,
    consultation_stats,
    in_no_proposal_sentence,
    pct,
)


@dataclass
class ThemeSection:
    id: str
    label: str
    description: str
    contributions: int
    share: float
    proposals: list[dict] = field(default_factory=list)
    in_no_proposal: int | None = None  # its contributions in no proposal (None: not clustered)

    @property
    def in_no_proposal_line(self) -> str | None:
        if self.in_no_proposal is None:
            return None
        return in_no_proposal_sentence(self.in_no_proposal, self.contributions)


@dataclass
class ReportData:
    title: str
    generated_at: str
    stats: ConsultationStats
    corrections: int
    themes: list[ThemeSection]

    def __getattr__(self, name: str):
        """The consultation's figures read as the report's own (``data.total``, ...)."""
        if name == "stats":
            raise AttributeError(name)
        return getattr(self.stats, name)

    @property
    def sources(self) -> dict[str, int]:
        return self.stats.by_channel


def report_quotes(quotes: list[dict], limit: int) -> list[dict]:
    """The quotes writers picked for the report, or else the proposal's best ``limit``."""
    picked = [q for q in quotes if q.get("picked")]
    return picked or quotes[:limit]


def _fields(cluster) -> dict:
    return {
        k: getattr(cluster, k)
        for k in ("id", "theme", "label", "keywords", "size", "people", "campaign_copies", "share")
    }


def build_report(
    store,
    scheme: Scheme,
    *,
    max_proposals: int = 15,
    max_quotes: int = 3,
    role: str | None = "writer",
) -> ReportData:
    """Every figure of the report, computed from the store now. Labels, keywords and quotes are
    as ``role`` may see them (a report is read by writers and beyond: never personal data)."""
    stats = consultation_stats(store, scheme)
    repairs_of = store_repairs(store)
    sections = []
    for theme in scheme.themes:
        clusters = [
            {
                **_fields(c),
                "quotes": report_quotes(c.quotes, max_quotes),
                "sub_proposals": [
                    {**s, "quotes": s.get("quotes", [])[:1]} for s in c.sub_proposals or []
                ],
            }
            for c in store.current_clusters(theme.id)[:max_proposals]
        ]
        keep = (
            "id",
            "label",
            "keywords",
            "size",
            "people",
            "campaign_copies",
            "share",
            "quotes",
            "sub_proposals",
        )
        proposals = [
            {k: shown[k] for k in keep} for shown in clusters_view(clusters, role, repairs_of)
        ]
        sections.append(
            ThemeSection(
                id=theme.id,
                label=theme.label,
                description=theme.description,
                contributions=stats.by_theme.get(theme.id, 0),
                share=stats.theme_share(theme.id),
                proposals=proposals,
                in_no_proposal=stats.in_no_proposal.get(theme.id),
            )
        )
    return ReportData(
        title=f"Synthèse de la consultation — {scheme.name}",
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        stats=stats,
        corrections=len(store.corrections()),
        themes=sections,
    )


TABLE_COLUMNS = ("Proposition", "Personnes", "Contributions", "Copies de campagne", "Part du thème")


def _variant_count(sub: dict) -> str:
    """A sub-proposal's size in words: "12 personnes, 14 contributions"."""
    return f"{sub['people']} personne(s), {sub['size']} contribution(s)"


def _method_lines(data: ReportData) -> list[str]:
    st = data.stats
    sources = ", ".join(f"{k} : {v}" for k, v in st.by_channel.items())
    return [
        f"Contributions reçues : {st.total} (du {st.first_date or '?'} au "
        f"{st.last_date or '?'}) ; par canal : {sources}.",
        f"Contributions hors thème : {st.hors_theme} ; à relire (classement incertain) : "
        f"{st.needs_review} ; thèmes fixés par les rédacteurs : {st.settled_by_writers}.",
        f"Textes réparés (encodage, artefacts PDF, mise en forme) : {st.repaired} ; "
        f"pseudonymisés : {st.pseudonymized} ; non rédigés en français : {st.not_french}.",
        f"Réponses sans contenu (RAS, voir ci-dessus…), comptées à part : {st.non_answers}.",
        f"Campagnes de copier-coller : {st.campaigns}, regroupant {st.in_campaigns} "
        "contributions (chaque campagne compte pour une seule voix dans les propositions).",
        f"Corrections des rédacteurs prises en compte : {data.corrections}.",
        f"Modèles utilisés : {', '.join(st.model_versions) or 'aucun'}. Rapport généré le "
        f"{data.generated_at}.",
    ]


def to_markdown(data: ReportData) -> str:
    lines = [f"# {data.title}", "", f"{data.total} contributions analysées.", ""]
    for section in data.themes:
        lines += [
            f"## {section.label}",
            "",
            f"*{section.description}*",
            "",
            f"{section.contributions} contributions ({pct(section.share)} du total).",
            "",
        ]
        if section.in_no_proposal_line:
            lines += [section.in_no_proposal_line, ""]
        if not section.proposals:
            lines += ["Aucune proposition récurrente n'a émergé.", ""]
            continue
        lines += [
            "| Proposition | Personnes | Contributions | Copies de campagne | Part du thème |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for p in section.proposals:
            lines.append(
                f"| {p['label']} | {p['people']} | {p['size']} | {p['campaign_copies']} "
                f"| {pct(p['share'])} |"
            )
        lines.append("")
        for p in section.proposals:
            lines += [f"### {p['label']}", ""]
            if p["campaign_copies"]:
                lines += [
                    f"Dont {p['campaign_copies']} copies de campagne (comptées une fois).",
                    "",
                ]
            for q in p["quotes"]:
                lines.append(f"> « {q['text']} » ({q['contribution_id']})")
                lines.append("")
            if p["sub_proposals"]:
                lines += ["Ses variantes :", ""]
                for s in p["sub_proposals"]:
                    lines.append(f"- {s['label']} : {_variant_count(s)}")
                    for q in s["quotes"]:
                        lines.append(f"  > « {q['text']} » ({q['contribution_id']})")
                lines.append("")
    lines += ["## Annexe : méthode", ""] + [f"- {line}" for line in _method_lines(data)]
    return "\n".join(lines) + "\n"


def to_html(data: ReportData) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">',
        f"<title>{e(data.title)}</title></head><body>",
        f"<h1>{e(data.title)}</h1>",
        f"<p>{data.total} contributions analysées.</p>",
    ]
    for section in data.themes:
        parts += [
            f"<h2>{e(section.label)}</h2>",
            f"<p><em>{e(section.description)}</em></p>",
            f"<p>{section.contributions} contributions ({pct(section.share)} du total).</p>",
        ]
        if section.in_no_proposal_line:
            parts.append(f"<p>{e(section.in_no_proposal_line)}</p>")
        if not section.proposals:
            parts.append("<p>Aucune proposition récurrente n'a émergé.</p>")
            continue
        parts.append(
            '<table><thead><tr><th scope="col">Proposition</th><th scope="col">'
            'Personnes</th><th scope="col">Contributions</th><th scope="col">Copies de '
            'campagne</th><th scope="col">Part du thème</th></tr></thead><tbody>'
        )
        for p in section.proposals:
            parts.append(
                f"<tr><td>{e(p['label'])}</td><td>{p['people']}</td><td>{p['size']}</td>"
                f"<td>{p['campaign_copies']}</td><td>{pct(p['share'])}</td></tr>"
            )
        parts.append("</tbody></table>")
        for p in section.proposals:
            parts.append(f"<h3>{e(p['label'])}</h3>")
            for q in p["quotes"]:
                parts.append(
                    f"<blockquote>« {e(q['text'])} » ({e(q['contribution_id'])})</blockquote>"
                )
            if p["sub_proposals"]:
                parts.append("<p>Ses variantes :</p><ul>")
                for s in p["sub_proposals"]:
                    parts.append(f"<li>{e(s['label'])} : {_variant_count(s)}")
                    for q in s["quotes"]:
                        parts.append(
                            f"<blockquote>« {e(q['text'])} » ({e(q['contribution_id'])})"
                            "</blockquote>"
                        )
                    parts.append("</li>")
                parts.append("</ul>")
    parts += ["<h2>Annexe : méthode</h2>", "<ul>"]
    parts += [f"<li>{e(line)}</li>" for line in _method_lines(data)]
    parts += ["</ul></body></html>"]
    return "\n".join(parts)


def to_docx(data: ReportData, path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_heading(data.title, level=0)
    document.add_paragraph(f"{data.total} contributions analysées.")
    for section in data.themes:
        document.add_heading(section.label, level=1)
        document.add_paragraph(section.description, style="Intense Quote")
        document.add_paragraph(
            f"{section.contributions} contributions ({pct(section.share)} du total)."
        )
        if section.in_no_proposal_line:
            document.add_paragraph(section.in_no_proposal_line)
        if not section.proposals:
            document.add_paragraph("Aucune proposition récurrente n'a émergé.")
            continue
        table = document.add_table(rows=1, cols=5)
        table.style = "Light Grid Accent 1"
        for cell, title in zip(table.rows[0].cells, TABLE_COLUMNS, strict=True):
            cell.text = title
        for p in section.proposals:
            row = table.add_row().cells
            row[0].text, row[1].text = p["label"], str(p["people"])
            row[2].text, row[3].text = str(p["size"]), str(p["campaign_copies"])
            row[4].text = pct(p["share"])
        for p in section.proposals:
            document.add_heading(p["label"], level=2)
            for q in p["quotes"]:
                document.add_paragraph(f"« {q['text']} » ({q['contribution_id']})", style="Quote")
            for s in p["sub_proposals"]:
                document.add_paragraph(f"{s['label']} : {_variant_count(s)}", style="List Bullet")
                for q in s["quotes"]:
                    document.add_paragraph(
                        f"« {q['text']} » ({q['contribution_id']})", style="Quote"
                    )
    document.add_heading("Annexe : méthode", level=1)
    for line in _method_lines(data):
        document.add_paragraph(line, style="List Bullet")
    document.save(str(path))


def write_report(data: ReportData, path: str | Path) -> Path:
    """Write atomically in the format named by the suffix (.md, .html, .docx)."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    suffix = path.suffix.lower()
    if suffix == ".md":
        tmp.write_text(to_markdown(data), encoding="utf-8")
    elif suffix == ".html":
        tmp.write_text(to_html(data), encoding="utf-8")
    elif suffix == ".docx":
        to_docx(data, tmp)
    else:
        raise ValueError(f"unsupported report format {suffix}")
    os.replace(tmp, path)
    return path
