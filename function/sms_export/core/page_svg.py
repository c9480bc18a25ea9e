"""The report's pictures, drawn as inline SVG (pure): no script, nothing loaded.

Lengths are percentages of the picture's width rather than a viewBox, so the bars stretch
to the page and the text keeps its size on a phone instead of shrinking with the drawing.
"""

from __future__ import annotations

from html import escape

from sms_export.core.models import ConsistencySummary, DirectorySummary

# Verdicts in the order the page lists them: the ones to act on first.
VERDICTS = ("inconsistent", "unknown", "consistent")
COLOURS = {"inconsistent": "#b3261e", "unknown": "#d9a21b", "consistent": "#2e8b57"}
IGNORED_COLOUR = "#9e9e9e"
BAR_HEIGHT = 28
# A count is written inside its segment only when the segment can hold a few digits.
LABEL_MIN_PERCENT = 4.0
TOP_DIRECTORIES = 10
ROW_HEIGHT = 36  # a label line above a bar
LABEL_CHARACTERS = 90  # past this, a path keeps its end: the most specific part


def _percent(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def verdict_bar(summary: ConsistencySummary) -> str:
    """The verdicts as one stacked bar, the worst on the left; empty when none."""
    counts = {verdict: getattr(summary, verdict) for verdict in VERDICTS}
    total = sum(counts.values())
    if not total:
        return ""
    described = ", ".join(f"{counts[v]:,} {v}" for v in VERDICTS)
    parts: list[str] = []
    start = 0.0
    for verdict in VERDICTS:
        width = counts[verdict] * 100 / total
        if not width:
            continue
        parts.append(
            f'<rect class="{verdict}" x="{_percent(start)}" y="0" width="{_percent(width)}" '
            f'height="{BAR_HEIGHT}" fill="{COLOURS[verdict]}">'
            f"<title>{counts[verdict]:,} {verdict}</title></rect>"
        )
        if width >= LABEL_MIN_PERCENT:
            parts.append(
                f'<text x="{_percent(start + width / 2)}" y="{BAR_HEIGHT // 2}" '
                f'text-anchor="middle" dominant-baseline="central" fill="#fff">'
                f"{counts[verdict]:,}</text>"
            )
        start += width
    return (
        f'<svg class="verdicts" width="100%" height="{BAR_HEIGHT}" role="img" '
        f'aria-label="Verdicts: {described}"><title>Verdicts of {total:,} sources: '
        f"{described}</title>{''.join(parts)}</svg>"
    )


def _label(directory: DirectorySummary) -> str:
    path = directory.path
    if len(path) > LABEL_CHARACTERS:
        path = "\u2026" + path[-(LABEL_CHARACTERS - 1) :]
    files = directory.different_files + directory.missing_files + directory.extra_files
    sources = "source" if directory.differing_sources == 1 else "sources"
    ignored = " (ignored)" if directory.ignored else ""
    return f"{path} \u2014 {directory.differing_sources:,} {sources}, {files:,} files{ignored}"


def top_directories(summary: ConsistencySummary) -> list[DirectorySummary]:
    """The most differing first, the ignored ones (known noise) after those to act on."""
    differing = [d for d in summary.directories if d.differing_sources > 0]
    return sorted(differing, key=lambda d: (d.ignored, -d.differing_sources))[:TOP_DIRECTORIES]


def directory_bars(summary: ConsistencySummary) -> str:
    """The directories where the most sources differ, one bar each; ignored ones in grey."""
    top = top_directories(summary)
    if not top:
        return ""
    most = max(d.differing_sources for d in top)
    rows = []
    for index, directory in enumerate(top):
        y = index * ROW_HEIGHT
        colour = IGNORED_COLOUR if directory.ignored else COLOURS["inconsistent"]
        kind = "ignored" if directory.ignored else "differs"
        rows.append(
            f'<g class="{kind}"><title>{escape(directory.path)}</title>'
            f'<text x="0" y="{y + 13}">{escape(_label(directory))}</text>'
            f'<rect x="0" y="{y + 19}" height="12" fill="{colour}" '
            f'width="{_percent(directory.differing_sources * 100 / most)}"/></g>'
        )
    return (
        f'<svg class="directories" width="100%" height="{len(top) * ROW_HEIGHT}" role="img" '
        f'aria-label="The directories where the most sources differ">'
        f"<title>The directories where the most sources differ</title>{''.join(rows)}</svg>"
    )
