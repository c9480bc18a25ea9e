"""report.html: every value escaped, nothing loaded from elsewhere, what a person needs."""

from __future__ import annotations

from html.parser import HTMLParser

from sms_export.core.models import (
    BatchResult,
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
