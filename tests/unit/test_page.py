"""report.html: every value escaped, nothing loaded from elsewhere, what a person needs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from sms_export.core.models import (
    BatchResult,
    Changes,
    DirectorySummary,
    Outcome,
    Problem,
    Rejection,
    RowCounts,
    SourceVerdict,
    Triple,
)
from sms_export.core.page import render
from sms_export.core.verdicts import summarise, unknown

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """The tags, attributes and visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style and data.strip():
            self.text.append(data.strip())


def sample_outcome(name: str = "web-01") -> Outcome:
    differing = SourceVerdict(
        task_id="t-2",
        source_id="s-2",
        source_name=name,
        verdict="inconsistent",
        total_files=1500,
        different_files=3,
        missing_files=1,
        extra_files=0,
        checked_at="2025-12-01T00:00:00Z",
    )
    fine = differing.model_copy(update={"source_name": "db-01", "verdict": "consistent"})
    lost = unknown(Triple("t-3", "s-3", "cache-01"), "the lookup failed: 500 (boom)")
    return Outcome(
        status="partial",
        trigger="storage",
        input=f"s3://bucket/in/{name}.csv",
        request_id="request-1",
        batches=[
            BatchResult(
                index=1,
                size=2,
                first=1,
                last=2,
                status="exported",
                export="s3://bucket/out/batch-000001-000002-0123456789abcdef.csv",
            ),
            BatchResult(
                index=2,
                size=1,
                first=3,
                last=3,
                status="failed",
                error_code="SMS.2252",
                error_msg=name,
            ),
        ],
        rows=RowCounts(received=4, valid=3, rejected=1, exported=2),
        rejected=[Rejection(row=7, reason=f"source_id is empty ({name})")],
        consistency=summarise([fine, differing, lost]),
        results="s3://bucket/out/results.csv",
        rejects_report="s3://bucket/out/rejected.csv",
        stored_outcome="s3://bucket/out/outcome.json",
    )


def test_every_value_from_users_is_escaped() -> None:
    html = render(sample_outcome(HOSTILE))
    page = Page()
    page.feed(html)
    assert "script" not in page.tags
    assert "img" not in page.tags
    assert not any(name.startswith("on") for name, _ in page.attributes)
    assert HOSTILE in page.text  # shown as text, where the name goes
    assert html.count("&lt;script&gt;") >= 4  # the title, the input, the table, the reasons


def test_nothing_is_loaded_from_elsewhere() -> None:
    page = Page()
    page.feed(render(sample_outcome()))
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    links = [value or "" for name, value in page.attributes if name in ("href", "src")]
    assert links == [
        "results.csv",
        "rejected.csv",
        "outcome.json",
        "batch-000001-000002-0123456789abcdef.csv",
    ]
    assert ("name", "viewport") in page.attributes  # readable on a phone


def test_the_page_shows_the_totals_and_the_worst_source_first() -> None:
    page = Page()
    page.feed(render(sample_outcome()))
    text = page.text
    assert text[text.index("sources that differ") - 1] == "1"
    names = [item for item in text if item in ("web-01", "db-01", "cache-01")]
    assert names == ["web-01", "cache-01", "db-01"]  # inconsistent, unknown, consistent
    assert "the lookup failed: 500 (boom)" in text
    assert "SMS.2252: web-01" in text
    assert "source_id is empty (web-01)" in text


def test_a_page_without_verdicts_or_batches_still_renders() -> None:
    bare = Outcome(
        status="failed",
        trigger="direct",
        input="inline",
        request_id="r",
        stored_outcome="file:///out/outcome.json",
    )
    page = Page()
    page.feed(render(bare))
    assert page.text == [
        *("Consistency report: inline", "Consistency report", "failed"),
        "inline · trigger direct · request r",
        *("0", "rows received", "0", "exported", "0", "rejected", "0", "duplicates"),
        *("Files", "The complete record:", "outcome.json"),
    ]


def test_only_files_that_were_stored_are_linked() -> None:
    """Issue #20: the page linked outcome.json when it could not be stored."""
    outcome = sample_outcome()
    outcome.stored_outcome = None
    page = Page()
    page.feed(render(outcome))
    links = [value for name, value in page.attributes if name == "href"]
    assert "outcome.json" not in links
    assert "The complete record:" not in page.text
    assert links[:2] == ["results.csv", "rejected.csv"]
    bare = Outcome(status="failed", trigger="direct", input="inline", request_id="r")
    assert "<h2>Files</h2>" not in render(bare)  # no file at all: no empty list


def test_the_page_reads_top_to_bottom_as_a_person_needs_it() -> None:
    """Every word a person reads, in order: the heading, the totals, the files, the picture,
    the sources by verdict with their counts, the rejected rows, the batches failed first."""
    outcome = sample_outcome()
    outcome.batches[0].part, outcome.batches[0].resumed = "2-1", True
    outcome.results, outcome.results_reason = None, "nothing was exported"
    page = Page()
    page.feed(render(outcome))
    dash = "\u2013"
    assert page.text == [
        "Consistency report: s3://bucket/in/web-01.csv",  # the title
        "Consistency report",
        "partial",
        "s3://bucket/in/web-01.csv · trigger storage · request request-1",
        *("4", "rows received", "2", "exported", "1", "rejected", "0", "duplicates"),
        *("2", "batches", "1", "batches not exported"),
        *("1", "sources that differ", "1", "consistent", "1", "unknown"),
        *("Files", "All results in one file: nothing was exported"),
        *("Rejected rows:", "rejected.csv", "The complete record:", "outcome.json"),
        "At a glance",
        "Verdicts of 3 sources: 1 inconsistent, 1 unknown, 1 consistent",
        *("1 inconsistent", "1", "1 unknown", "1", "1 consistent", "1"),  # titles, counts
        *("1 inconsistent", "·", "1 unknown", "·", "1 consistent"),  # the legend
        "Sources that differ (1)",
        *("source", "different", "missing on target", "extra on target", "files"),
        *("checked at", "directories that differ", "source id, task id"),
        *("web-01", "3", "1", "0", "1,500", "2025-12-01 00:00:00 UTC", "s-2", "t-2"),
        "Sources without a verdict (1)",
        *("source", "why unknown", "checked at", "source id, task id"),
        *("cache-01", "the lookup failed: 500 (boom)", "s-3", "t-3"),
        "Consistent sources (1)",
        *("source", "files", "checked at", "source id, task id"),
        *("db-01", "1,500", "2025-12-01 00:00:00 UTC", "s-2", "t-2"),
        *("Rejected rows (1)", "row", "reason", "values", "7", "source_id is empty (web-01)"),
        *("Batches", "batch", "rows", "status", "file", "problem"),
        *("2", f"3{dash}3", "failed", "SMS.2252: web-01"),  # the failed batch first
        *("1.2-1", f"1{dash}2", "exported (earlier run)"),
        "batch-000001-000002-0123456789abcdef.csv",
    ]
    classes = [value for name, value in page.attributes if name == "class"]
    assert classes[0] == "status partial"  # the badge's colour
    batch_statuses = [c for c in classes if c in ("exported", "failed-batch", "pending")]
    assert batch_statuses == ["failed-batch", "exported"]  # the batches' colours
    # Numbers are right-aligned, their headers too.
    headers = [attrs.get("class") for tag, attrs in page.elements if tag == "th"]
    assert headers == [
        *(None, "number", "number", "number", "number", None, None, None),  # differing
        *(None, None, None, None),  # unknown
        *(None, "number", None, None),  # consistent
        *("number", None, None),  # rejected rows
        *(None, "number", None, None, None),  # batches
    ]


def test_a_failed_input_shows_its_error_and_says_no_source_was_checked() -> None:
    outcome = Outcome(
        status="failed",
        trigger="direct",
        input="inline",
        request_id="r",
        error=Problem(code="NoRows", message="inline holds no rows to export."),
        consistency=summarise([]),
        stored_outcome="file:///out/outcome.json",
    )
    page = Page()
    page.feed(render(outcome))
    assert page.text[:6] == [
        "Consistency report: inline",
        "Consistency report",
        "failed",
        "inline · trigger direct · request r",
        "NoRows: inline holds no rows to export.",
        "0",
    ]
    assert page.text[6:] == [
        *("rows received", "0", "exported", "0", "rejected", "0", "duplicates"),
        *("0", "sources that differ", "0", "consistent", "0", "unknown"),
        *("Files", "The complete record:", "outcome.json"),
        *("Sources", "No source was exported, so none was checked."),
    ]


def wave_page() -> tuple[Outcome, str]:
    from sample_wave import wave

    outcome = wave()
    return outcome, render(outcome)


def test_a_wave_reads_in_order_what_changed_what_differs_then_the_rest_folded() -> None:
    _, html = wave_page()
    headings = re.findall(r"<(?:h2|summary)>([^<(]+)", html)
    assert [h.strip() for h in headings] == [
        "Since the previous run",
        "Files",
        "At a glance",
        "Changed since the previous run",
        "Sources that differ",
        "Sources without a verdict",
        "Consistent sources",
        "Rejected rows",
        "Batches",
    ]
    folded = re.findall(r"<details><summary>(.*?)</summary>(.*?)</details>", html, re.DOTALL)
    assert [summary for summary, _ in folded] == [
        "Consistent sources (423)",
        "Batches (5), all exported",
    ]
    assert "<td>cache-0003</td>" in folded[0][1]  # a consistent source, folded
    assert "<td>web-frontend-0000</td>" not in folded[0][1]  # a differing one, not


def test_the_changes_are_counted_and_the_previous_outcome_linked_from_this_folder() -> None:
    _, html = wave_page()
    page = Page()
    page.feed(html)
    line = " ".join(page.text[page.text.index("Since the previous run") + 1 :][:12])
    assert line.startswith("The previous run, finished 2026-12-03 09:58:40 UTC (")
    assert "4 newly inconsistent · 5 fixed · 10 new · 431 unchanged" in line
    assert ("href", "../2026-12-03T09-50-00Z-req-0006/outcome.json") in page.attributes
    changed = html.split("Changed since the previous run (19)")[1].split("<h2>")[0]
    assert changed.count("<tr>") == 1 + 19  # the header, then 4 newly differ, 5 fixed, 10 new
    assert '<td class="new nowrap">new</td>' in changed


def test_no_previous_run_no_changes_and_no_source_called_changed() -> None:
    outcome, _ = wave_page()
    assert outcome.consistency is not None
    outcome.consistency.changes = None
    html = render(outcome)
    assert "previous run" not in html


def test_only_the_stored_files_are_linked_near_the_top() -> None:
    outcome, html = wave_page()
    top = html.split("At a glance")[0]
    assert re.findall(r'href="([^"]+)"', top) == [
        "../2026-12-03T09-50-00Z-req-0006/outcome.json",
        "results.csv",
        "differing.csv",
        "rejected.csv",
        "outcome.json",
    ]
    outcome.differing = outcome.stored_outcome = None
    top = render(outcome).split("At a glance")[0]
    assert "differing.csv" not in top
    assert 'href="outcome.json"' not in top
    # A previous outcome in another store is named, not linked: a browser cannot open it.
    assert "its outcome: obs://migration-bucket/" not in top
    outcome.results = outcome.rejects_report = None
    top = render(outcome).split("At a glance")[0]
    assert "its outcome: obs://migration-bucket/consistency-results/" in top
    assert "<h2>Files</h2>" not in top


def test_the_verdicts_bar_is_drawn_in_proportion() -> None:
    _, html = wave_page()
    bar = re.search(r'<svg class="verdicts".*?</svg>', html, re.DOTALL)
    assert bar
    segments = re.findall(r'<rect class="(\w+)" x="([\d.]+)%" y="0" width="([\d.]+)%"', bar[0])
    assert [verdict for verdict, _, _ in segments] == ["inconsistent", "unknown", "consistent"]
    starts_and_widths = [float(value) for _, x, width in segments for value in (x, width)]
    assert starts_and_widths == pytest.approx(
        [0, 7 / 4.5, 7 / 4.5, 20 / 4.5, 27 / 4.5, 423 / 4.5], abs=0.001
    )
    assert "<title>7 inconsistent</title>" in bar[0]
    assert ">423</text>" in bar[0]  # wide enough for its count
    assert ">7</text>" not in bar[0]  # too narrow for one


def test_the_directories_that_differ_most_are_drawn_the_ignored_ones_marked_and_last() -> None:
    outcome, _ = wave_page()
    assert outcome.consistency is not None
    summary = outcome.consistency
    summary.directories += [
        DirectorySummary(path=f"/data/{number}", differing_sources=1) for number in range(12)
    ]
    html = render(outcome)
    chart = re.search(r'<svg class="directories".*?</svg>', html, re.DOTALL)
    assert chart
    groups = re.findall(r'<g class="(\w+)"><title>([^<]+)</title>', chart[0])
    assert len(groups) == 10
    assert groups[:2] == [("differs", "/var/lib/app-data"), ("differs", "/home/deploy/releases")]
    assert "/opt/cloud-agent/logs" not in chart[0]  # 430 sources, but known noise
    summary.directories = [d for d in summary.directories if not d.path.startswith("/data")]
    chart = re.search(r'<svg class="directories".*?</svg>', render(outcome), re.DOTALL)
    assert chart
    assert re.findall(r'<g class="(\w+)"><title>([^<]+)</title>', chart[0])[-1] == (
        "ignored",
        "/opt/cloud-agent/logs",
    )
    assert "430 sources, 2,150 files (ignored)" in chart[0]
    widths = re.findall(r'width="([\d.]+)%"/>', chart[0])
    assert (widths[0], widths[-1]) == ("0.698", "100")  # 3 of 430 sources, the longest


def test_a_differing_source_lists_its_unclean_directories_the_ignored_ones_as_such() -> None:
    _, html = wave_page()
    row = html.split("<td>web-frontend-0000</td>")[2].split("</tr>")[0]  # its differing row
    assert re.findall(r"<li[^>]*>(.*?)</li>", row) == [
        '<span class="nw">/var/lib/app-data</span>: 1 different',
        '<span class="nw">/opt/cloud-agent/logs</span>: ignored (3 different, 2 missing)',
        '<span class="nw">/home/deploy/releases</span>: 4 different, 3 missing, 1 extra',
    ]  # /etc and /srv/www are clean: not listed
    assert "<td>2026-12-04 09:41:07 UTC<br>" in row


def test_rejected_rows_show_their_cells_and_long_ones_cut() -> None:
    outcome = sample_outcome()
    outcome.rejected[0].values = {"task_id": "t-9", "source_name": "x" * 500}
    page = Page()
    page.feed(render(outcome))
    start = page.text.index("source_id is empty (web-01)")
    assert page.text[start + 1 : start + 4] == ["task_id", "t-9", "source_name"]
    assert page.text[start + 4] == "x" * 119 + "\u2026"


def test_hostile_paths_results_values_and_previous_outcomes_are_escaped() -> None:
    outcome, _ = wave_page()
    assert outcome.consistency is not None
    source = outcome.consistency.sources[0]
    source.check_result = HOSTILE
    source.directories[0].path = HOSTILE
    source.directories[0].different_files = 1
    outcome.consistency.directories[0].path = HOSTILE
    outcome.consistency.changes = Changes(previous_outcome=HOSTILE, since=HOSTILE)
    outcome.rejected[0].values = {HOSTILE: HOSTILE}
    outcome.started_at = HOSTILE
    html = render(outcome)
    page = Page()
    page.feed(html)
    assert not {"script", "img"} & set(page.tags)
    assert not any(name.startswith("on") for name, _ in page.attributes)
    assert html.count("&lt;script&gt;") >= 9
