"""Write a SummaryResult as JSON (for programs) or Markdown (for people)."""

from __future__ import annotations

from summarizer.result import AlignmentStatus, SummaryResult

_MARK = {
    AlignmentStatus.exact: "exact",
    AlignmentStatus.normalized: "normalized",
    AlignmentStatus.fuzzy: "fuzzy",
    AlignmentStatus.unaligned: "NOT FOUND",
}


def to_json(result: SummaryResult) -> str:
    return result.model_dump_json(indent=2)


def to_markdown(result: SummaryResult) -> str:
    lines = [f"# {result.title}", "", result.summary, "", f"## Claims ({len(result.claims)})", ""]
    for claim in result.claims:
        ev = claim.evidence
        who = f" ({claim.speaker})" if claim.speaker else ""
        where = f"{ev.start}-{ev.end}, " if ev.start is not None else ""
        note = "" if claim.checks.supported else " — not fully supported"
        if claim.checks.missing_numbers:
            note += f", numbers not in evidence: {', '.join(claim.checks.missing_numbers)}"
        if claim.checks.speaker_named is False:
            note += ", speaker not named near the evidence"
        lines.append(f"- **{claim.text}**{who} _[{claim.kind}, {claim.certainty}]_")
        shown = ev.text if ev.text is not None else ev.quote
        source = " (found by search)" if ev.origin == "search" else ""
        lines.append(f"  > {' '.join(shown.split())}")
        lines.append(f"  <sub>{where}{_MARK[ev.status]}{source}{note}</sub>")
    run = result.run
    lines += [
        "",
        "---",
        f"<sub>{run.model} @ {run.endpoint_host} · prompt {run.prompt.id} v{run.prompt.version}"
        f" · {run.calls} calls · {run.usage.total_tokens} tokens · {run.duration_s:.1f}s</sub>",
    ]
    for warning in result.warnings:
        lines.append(f"<sub>warning: {warning}</sub>")
    return "\n".join(lines) + "\n"
