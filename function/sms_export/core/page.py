"""The outcome as a page a person reads: report.html beside the exports (pure).

Self-contained (no script, no font, no image, nothing loaded from the network), readable
on a phone and printable. Every value is escaped: source names and reasons come from users.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import PurePosixPath
from urllib.parse import quote

from sms_export.core.models import BatchResult, ConsistencySummary, Outcome, SourceVerdict

STYLE = """
:root { color-scheme: light; --bad: #b3261e; --good: #1e6b34; --unknown: #8a5a00; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", sans-serif;
       margin: 0 auto; padding: 16px; max-width: 1100px; color: #1b1b1b; }
h1 { font-size: 1.4em; margin: 0 0 4px; } h2 { font-size: 1.15em; margin: 28px 0 8px; }
.input { color: #555; overflow-wrap: anywhere; margin: 0 0 12px; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff;
          font-weight: 600; }
.succeeded { background: var(--good); } .partial { background: var(--unknown); }
.failed, .ignored { background: var(--bad); }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr));
          gap: 8px; margin: 12px 0; }
.total { border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; }
.total b { display: block; font-size: 1.5em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e4e4e4;
         vertical-align: top; overflow-wrap: break-word; }
th { background: #f4f4f4; font-weight: 600; white-space: nowrap; }
th.number, td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.number, td.nowrap { white-space: nowrap; width: 1%; }
td.id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
        font-size: 0.85em; min-width: 12em; }
.inconsistent, .failed-batch { color: var(--bad); font-weight: 600; }
.consistent, .exported { color: var(--good); }
.unknown, .pending { color: var(--unknown); }
.note { color: #555; }
@media (max-width: 600px) { body { padding: 10px; font-size: 14px; } th, td { padding: 4px; } }
@media print { body { max-width: none; padding: 0; } .scroll { overflow: visible; }
               a { color: inherit; text-decoration: none; } h2 { break-after: avoid; }
               tr { break-inside: avoid; } }
"""


def render(outcome: Outcome) -> str:
    """The whole page, from the outcome alone."""
    title = f"Consistency report: {outcome.input}"
    sections = [
        _heading(outcome),
        _totals(outcome),
        _sources(outcome.consistency),
        _rejected(outcome),
        _batches(outcome.batches),
        _files(outcome),
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
    error = (
        f'<p class="note">{escape(outcome.error.code)}: {escape(outcome.error.message)}</p>'
        if outcome.error
        else ""
    )
    return (
        f"<h1>Consistency report "
        f'<span class="status {escape(outcome.status)}">{escape(outcome.status)}</span></h1>\n'
        f'<p class="input">{escape(outcome.input)} · trigger {escape(outcome.trigger)} · '
        f"request {escape(outcome.request_id)}</p>\n{error}"
    )


def _totals(outcome: Outcome) -> str:
    rows = outcome.rows
    figures = [
        ("rows received", rows.received),
        ("exported", rows.exported),
        ("rejected", rows.rejected),
        ("duplicates", rows.duplicates),
    ]
    summary = outcome.consistency
    if summary is not None:
        figures += [
            ("sources that differ", summary.inconsistent),
            ("consistent", summary.consistent),
            ("unknown", summary.unknown),
        ]
    cells = "".join(
        f'<div class="total"><b>{value:,}</b>{escape(label)}</div>' for label, value in figures
    )
    return f'<div class="totals">{cells}</div>'


def _table(headers: Sequence[str], rows: Iterable[str], numeric: set[str]) -> str:
    head = "".join(
        f'<th class="number">{escape(h)}</th>' if h in numeric else f"<th>{escape(h)}</th>"
        for h in headers
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>\n' + (
        "\n".join(rows) + "\n</tbody></table></div>"
    )


def _number(value: int | None) -> str:
    return f'<td class="number">{"" if value is None else f"{value:,}"}</td>'


def _source_row(source: SourceVerdict) -> str:
    return (
        f"<tr><td>{escape(source.source_name)}</td>"
        f'<td class="{source.verdict} nowrap">{source.verdict}</td>'
        f"{_number(source.different_files)}{_number(source.missing_files)}"
        f"{_number(source.extra_files)}{_number(source.total_files)}"
        f'<td class="nowrap">{escape(source.checked_at or "")}</td>'
        f"<td>{escape(source.reason or '')}</td>"
        f'<td class="id">{escape(source.source_id)}</td>'
        f'<td class="id">{escape(source.task_id)}</td></tr>'
    )


def _sources(summary: ConsistencySummary | None) -> str:
    if summary is None:
        return ""
    if not summary.sources:
        return '<h2>Sources</h2><p class="note">No source was exported, so none was checked.</p>'
    headers = [
        "source",
        "verdict",
        "different",
        "missing on target",
        "extra on target",
        "files",
        "checked at (UTC)",
        "reason",
        "source id",
        "task id",
    ]
    numeric = {"different", "missing on target", "extra on target", "files"}
    return "<h2>Sources, the worst first</h2>\n" + _table(
        headers, map(_source_row, summary.sources), numeric
    )


def _rejected(outcome: Outcome) -> str:
    if not outcome.rejected:
        return ""
    rows = (
        f'<tr><td class="number">{r.row}</td><td>{escape(r.reason)}</td></tr>'
        for r in outcome.rejected
    )
    return f"<h2>Rejected rows ({outcome.rows.rejected:,})</h2>\n" + _table(
        ["row", "reason"], rows, {"row"}
    )


def _link(uri: str | None) -> str:
    """A stored file beside the report, linked by its name (the folder is the same)."""
    if not uri:
        return ""
    name = PurePosixPath(uri).name
    return f'<a href="{escape(quote(name))}">{escape(name)}</a>'


def _batch_row(batch: BatchResult) -> str:
    index = f"{batch.index}" + (f".{batch.part}" if batch.part else "")
    status = "failed-batch" if batch.status == "failed" else batch.status
    problem = f"{batch.error_code}: {batch.error_msg}" if batch.error_code else ""
    resumed = " (earlier run)" if batch.resumed else ""
    return (
        f'<tr><td>{escape(index)}</td><td class="number">{batch.first:,}&ndash;{batch.last:,}</td>'
        f'<td class="{status}">{batch.status}{resumed}</td><td>{_link(batch.export)}</td>'
        f"<td>{escape(problem)}</td></tr>"
    )


def _batches(batches: list[BatchResult]) -> str:
    if not batches:
        return ""
    return "<h2>Batches</h2>\n" + _table(
        ["batch", "rows", "status", "file", "problem"], map(_batch_row, batches), {"rows"}
    )


def _files(outcome: Outcome) -> str:
    files = [
        ("All results in one file", _link(outcome.results) or escape(outcome.results_reason or "")),
        ("Rejected rows", _link(outcome.rejects_report)),
        # Only once stored: the report is stored after outcome.json, knowing if it was.
        ("The complete record", _link(outcome.stored_outcome)),
    ]
    items = "".join(f"<li>{escape(label)}: {value}</li>" for label, value in files if value)
    return f"<h2>Files</h2><ul>{items}</ul>" if items else ""
