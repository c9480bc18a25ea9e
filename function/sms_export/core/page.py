"""The outcome as a page a person reads: report.html beside the exports (pure).

Self-contained (no script, no font, no image, nothing loaded from the network), readable
on a phone and printable. Every value is escaped: source names and reasons come from users.
Laid out for a wave of hundreds of sources: what to act on at the top, the rest folded.
"""

from __future__ import annotations

import posixpath
from html import escape
from urllib.parse import quote, urlsplit

from sms_export.core.models import Changes, ConsistencySummary, Outcome
from sms_export.core.page_svg import directory_bars, top_directories, verdict_bar
from sms_export.core.page_tables import batches, link, moment, rejected, sources

REPORT_FILENAME = "report.html"
# Names and ids stay on one line (see page_tables); everything around them may wrap.
STYLE = """
:root { color-scheme: light; --bad: #b3261e; --good: #1e6b34; --unknown: #8a5a00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif;
       margin: 0 auto; padding: 16px; max-width: 1240px; color: #1b1b1b; }
h1 { font-size: 1.4em; margin: 0 0 4px; } h2 { font-size: 1.15em; margin: 28px 0 8px; }
.input { color: #555; overflow-wrap: anywhere; margin: 0 0 4px; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff;
          font-weight: 600; }
.succeeded { background: var(--good); } .partial { background: var(--unknown); }
.failed, .ignored { background: var(--bad); }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr));
          gap: 8px; margin: 12px 0; }
.total { border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; }
.total b { display: block; font-size: 1.5em; }
svg { display: block; margin: 8px 0; overflow: hidden; }
svg text { font: 13px system-ui, sans-serif; fill: #1b1b1b; }
svg.verdicts text { fill: #fff; font-weight: 600; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e4e4;
         vertical-align: top; overflow-wrap: anywhere; }
th { background: #f4f4f4; font-weight: 600; overflow-wrap: normal; }
th.number, td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.number, td.nowrap, table.sources td:first-child:not(.long), .nw { white-space: nowrap; }
.long { line-break: anywhere; hyphens: none; }
td.id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
        font-size: 0.85em; width: 1%; }
ul.dirs { margin: 0; padding: 0; list-style: none; }
.inconsistent, .failed-batch { color: var(--bad); font-weight: 600; }
.consistent, .exported { color: var(--good); }
.unknown, .pending, .ignored-dir { color: var(--unknown); }
.note, .key { color: #555; }
summary { cursor: pointer; font-weight: 600; margin: 28px 0 8px; }
@media (max-width: 600px) { body { padding: 10px; font-size: 14px; } th, td { padding: 4px; } }
@media print { body { max-width: none; padding: 0; } .scroll { overflow: visible; }
               a { color: inherit; text-decoration: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def render(outcome: Outcome) -> str:
    """The whole page, from the outcome alone."""
    title = f"Consistency report: {outcome.input}"
    summary = outcome.consistency
    sections = [
        _heading(outcome),
        _totals(outcome),
        _changes(outcome),
        _files(outcome),
        _glance(summary),
        *sources(summary),
        rejected(outcome),
        batches(outcome.batches),
    ]
    body = "\n".join(section for section in sections if section)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _heading(outcome: Outcome) -> str:
    when = [
        f"{label} {escape(moment(value))}"
        for label, value in (("started", outcome.started_at), ("finished", outcome.finished_at))
        if value
    ]
    error = (
        f'<p class="note">{escape(outcome.error.code)}: {escape(outcome.error.message)}</p>'
        if outcome.error
        else ""
    )
    return (
        f"<h1>Consistency report "
        f'<span class="status {escape(outcome.status)}">{escape(outcome.status)}</span></h1>\n'
        f'<p class="input">{escape(outcome.input)} · trigger {escape(outcome.trigger)} · '
        f"request {escape(outcome.request_id)}</p>\n"
        + (f'<p class="when">{" · ".join(when)}</p>\n' if when else "")
        + error
    )


def _totals(outcome: Outcome) -> str:
    rows = outcome.rows
    figures = [
        ("rows received", rows.received),
        ("exported", rows.exported),
        ("rejected", rows.rejected),
        ("duplicates", rows.duplicates),
    ]
    if outcome.batches:
        figures.append(("batches", len(outcome.batches)))
    if outcome.unfinished:
        figures.append(("batches not exported", len(outcome.unfinished)))
    summary = outcome.consistency
    if summary is not None:
        figures += [
            ("sources that differ", summary.inconsistent),
            ("consistent", summary.consistent),
            ("unknown", summary.unknown),
        ]
        if summary.to_look_up:
            figures.append(("still to look up", summary.to_look_up))
    cells = "".join(
        f'<div class="total"><b>{value:,}</b>{escape(label)}</div>' for label, value in figures
    )
    return f'<div class="totals">{cells}</div>'


def _changes(outcome: Outcome) -> str:
    changes = outcome.consistency.changes if outcome.consistency else None
    if changes is None:
        return ""
    since = f", finished {escape(moment(changes.since))}" if changes.since else ""
    previous = _previous(outcome, changes)
    counts = " · ".join(
        f"<b>{value:,}</b> {label}"
        for label, value in (
            ("newly inconsistent", changes.newly_inconsistent),
            ("fixed", changes.fixed),
            ("new", changes.new),
            ("unchanged", changes.unchanged),
        )
    )
    return (
        f'<h2>Since the previous run</h2>\n<p class="changes">The previous run{since}'
        f"{f' ({previous})' if previous else ''}: {counts}</p>"
    )


def _previous(outcome: Outcome, changes: Changes) -> str:
    """The previous outcome.json, linked relative to this folder when both are in one store
    (an s3:// or obs:// address means nothing to a browser), else its address as text."""
    target = changes.previous_outcome
    if not target:
        return ""
    here = outcome.stored_outcome or outcome.results or outcome.rejects_report
    there, ours = urlsplit(target), urlsplit(here or "")
    if here and (there.scheme, there.netloc) == (ours.scheme, ours.netloc):
        relative = posixpath.relpath(there.path, posixpath.dirname(ours.path))
        return f'<a href="{escape(quote(relative))}">its outcome.json</a>'
    return f"its outcome: {escape(target)}"


def _files(outcome: Outcome) -> str:
    files = [
        ("All results in one file", link(outcome.results) or escape(outcome.results_reason or "")),
        ("The sources to check again, as an input", link(outcome.differing)),
        ("Rejected rows", link(outcome.rejects_report)),
        # Only once stored: the report is stored after outcome.json, knowing if it was.
        ("The complete record", link(outcome.stored_outcome)),
    ]
    items = "".join(f"<li>{escape(label)}: {value}</li>" for label, value in files if value)
    return f"<h2>Files</h2><ul>{items}</ul>" if items else ""


def _glance(summary: ConsistencySummary | None) -> str:
    if summary is None or not summary.sources:
        return ""
    picture = "<h2>At a glance</h2>\n" + verdict_bar(summary)
    legend = " · ".join(
        f'<span class="{v}">{getattr(summary, v):,} {v}</span>'
        for v in ("inconsistent", "unknown", "consistent")
    )
    picture += f'\n<p class="legend">{legend}</p>'
    directories = directory_bars(summary)
    if directories:
        more = sum(1 for d in summary.directories if d.differing_sources) - len(
            top_directories(summary)
        )
        note = f'<p class="note">{more:,} more directories differ.</p>' if more > 0 else ""
        picture += f"\n<h3>The directories where the most sources differ</h3>\n{directories}{note}"
    return picture
