"""E-mail and form clean-up: quoted replies, forwarded headers, signatures, disclaimers.

Each rule removes whole lines and records what it removed. A forwarded message keeps its content
(the resident's words are the contribution); only the forwarding headers go.
"""

from __future__ import annotations

import re

from nlp_assises.cleaning.repairs import Repair

# "Le 10 janv. 2020 à 09:12, Préfecture <x@y> a écrit :", "On Mon, ... wrote:" (may wrap on 2 lines)
_ATTRIBUTION = re.compile(
    r"^\s*(?:le\s.{4,120}?\ba\s+[ée]crit\s*:|on\s.{4,120}?\bwrote\s*:|.{0,80}\ba\s+[ée]crit\s*:)\s*$",
    re.I,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:message d'origine|original message|message original)\s*-{2,}\s*$", re.I
)
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:message transf[ée]r[ée]|forwarded message|mail transf[ée]r[ée])\s*-{2,}"
    r"|d[ée]but du message r[ée]exp[ée]di[ée]\s*:|message transf[ée]r[ée]\s*:)\s*$",
    re.I,
)
_HEADER_LINE = re.compile(
    r"^\s*(?:de|from|date|envoy[ée]\s*(?:le)?|sent|[àa]|to|cc|objet|subject|r[ée]pondre [àa])"
    r"\s*:\s.*$",
    re.I,
)
_OUTLOOK_FROM = re.compile(r"^\s*(?:de|from)\s*:\s.*$", re.I)
_SENT_FROM = re.compile(
    r"^\s*(?:envoy[ée] (?:de|depuis) (?:mon|un|l'application)\b.*|sent from my\b.*"
    r"|t[ée]l[ée]charger outlook pour\b.*|get outlook for\b.*)$",
    re.I,
)
_SIGNATURE_DASHES = re.compile(r"^-- ?$")
_DISCLAIMER = re.compile(
    r"(?:ce (?:message|courriel|e-?mail)(?: et (?:toutes )?les pi[èe]ces jointes)?.{0,80}"
    r"(?:confidentiel|destin[ée]s? exclusivement|strictement)"
    r"|this (?:e-?mail|message).{0,60}confidential"
    r"|pensez [àa] l'environnement avant d'imprimer"
    r"|avant d'imprimer, pensez)",
    re.I,
)
_CLOSING = re.compile(
    r"^\s*(?:cordialement|bien cordialement|tr[èe]s cordialement|bien [àa] vous|salutations"
    r"(?: distingu[ée]es)?|sinc[èe]res salutations|meilleures salutations|respectueusement"
    r"|veuillez agr[ée]er.*|je vous prie d'agr[ée]er.*|dans l'attente.*|merci d'avance.*"
    r"|bonne (?:journ[ée]e|soir[ée]e)|a\+|cdlt|slts?|bise?s?)[\s,.!]*$",
    re.I,
)
_CONTACT = re.compile(
    r"(?:\b(?:t[ée]l|tel|mob|port|portable|fax|mail|e-?mail|courriel)\b\s*[.:]"
    r"|\+33|\b0[1-9](?:[ .-]?\d{2}){4}\b|@|\bwww\.|https?://|\b\d{5}\b|\bcedex\b)",
    re.I,
)


def _remove_lines(lines: list[str], drop: set[int], kind: str, offsets: list[int]) -> list[Repair]:
    repairs = []
    runs: list[list[int]] = []
    for index in sorted(drop):
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    for run in runs:
        before = "".join(lines[i] for i in run)
        repairs.append(Repair(kind, before, "", offsets[run[0]]))
    return repairs


def clean_email(text: str) -> tuple[str, list[Repair]]:
    """Remove quoted replies, forwarding headers, "sent from" lines, disclaimers and the contact
    block under a closing formula."""
    lines = text.splitlines(keepends=True)
    offsets, position = [], 0
    for line in lines:
        offsets.append(position)
        position += len(line)
    kinds: dict[int, str] = {}

    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if _FORWARD_MARKER.match(stripped):
            kinds[i] = "forward_header"
            j = i + 1
            while j < len(lines):
                if _HEADER_LINE.match(lines[j]):
                    kinds[j] = "forward_header"
                elif lines[j].strip() or not (
                    j + 1 < len(lines) and _HEADER_LINE.match(lines[j + 1])
                ):
                    break
                j += 1
            i = j
            continue
        if (
            i > 0
            and _OUTLOOK_FROM.match(stripped)
            and i + 1 < len(lines)
            and _HEADER_LINE.match(lines[i + 1])
        ):
            # An Outlook reply header ("De : ... / Envoyé : ... / Objet : ..."): the rest is quoted.
            for j in range(i, len(lines)):
                kinds[j] = "quoted_reply"
            break
        two_lines = stripped + " " + lines[i + 1].strip() if i + 1 < len(lines) else stripped
        if (
            _ATTRIBUTION.match(stripped)
            or _ORIGINAL_MESSAGE.match(stripped)
            or (
                i + 1 < len(lines)
                and _ATTRIBUTION.match(two_lines)
                and lines[i + 1].strip().endswith(":")
            )
        ):
            # Everything from the attribution on is the earlier message we replied to.
            for j in range(i, len(lines)):
                kinds[j] = "quoted_reply"
            break
        if stripped.startswith(">"):
            kinds[i] = "quoted_reply"
        elif _SENT_FROM.match(stripped):
            kinds[i] = "sent_from"
        elif _SIGNATURE_DASHES.match(lines[i].rstrip("\n")):
            for j in range(i, len(lines)):
                kinds.setdefault(j, "signature")
            break
        i += 1

    # A disclaimer paragraph, wherever it is.
    paragraph: list[int] = []
    for index in range(len(lines) + 1):
        if index == len(lines) or not lines[index].strip():
            if paragraph and _DISCLAIMER.search(" ".join(lines[k] for k in paragraph)):
                for k in paragraph:
                    kinds.setdefault(k, "disclaimer")
            paragraph = []
        elif index not in kinds:
            paragraph.append(index)

    # The contact block under a closing formula: short lines with phones, addresses, e-mails.
    kept = [k for k in range(len(lines)) if k not in kinds]
    for position_in_kept, index in enumerate(kept):
        if _CLOSING.match(lines[index].strip()):
            tail = [k for k in kept[position_in_kept + 1 :] if lines[k].strip()]
            if 0 < len(tail) <= 10 and all(len(lines[k].split()) <= 10 for k in tail):
                contact_lines = [k for k in tail if _CONTACT.search(lines[k])]
                if contact_lines:
                    # Keep the first line (the author's name, pseudonymised later), drop contacts
                    # and titles under it.
                    for k in tail[1:]:
                        kinds.setdefault(k, "signature")
                    if tail[0] in contact_lines:
                        kinds.setdefault(tail[0], "signature")
            break

    if not kinds:
        return text, []
    repairs: list[Repair] = []
    for kind in ("quoted_reply", "forward_header", "sent_from", "signature", "disclaimer"):
        drop = {k for k, v in kinds.items() if v == kind}
        if drop:
            repairs += _remove_lines(lines, drop, kind, offsets)
    repairs.sort(key=lambda r: r.start)
    kept_text = "".join(line for k, line in enumerate(lines) if k not in kinds)
    # Offsets are those of the step's input; removals are listed in text order.
    return kept_text, repairs
