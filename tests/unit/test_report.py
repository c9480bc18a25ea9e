"""report.html: every value escaped, nothing loaded from elsewhere, what a person needs."""

from __future__ import annotations

from html.parser import HTMLParser

from sms_export.consistency import summarise, unknown
from sms_export.models import BatchResult, Outcome, Rejection, SourceVerdict, Triple
from sms_export.report import render

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Page(HTMLParser):
    """The tags, attributes and visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
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
        rejected=[Rejection(row=7, reason=f"source_id is empty ({name})")],
        consistency=summarise([fine, differing, lost]),
        results="s3://bucket/out/results.csv",
        rejects_report="s3://bucket/out/rejected.csv",
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
        "batch-000001-000002-0123456789abcdef.csv",
        "results.csv",
        "rejected.csv",
        "outcome.json",
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
    bare = Outcome(status="failed", trigger="direct", input="inline", request_id="r")
    page = Page()
    page.feed(render(bare))
    assert "Batches" not in page.text
    assert "Sources, the worst first" not in page.text
    assert "outcome.json" in page.text
