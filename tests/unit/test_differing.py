"""differing.csv: the sources to act on, worst first, read back by the function's own
readers as the same triples."""

from __future__ import annotations

import csv
import io

from sms_export.core.differing import differing_csv
from sms_export.core.models import DirectoryCheck, SourceVerdict, Triple, Verdict
from sms_export.core.readers import read_rows
from sms_export.core.validation import check_rows
from sms_export.core.verdicts import summarise, unknown


def triple(number: int, name: str) -> Triple:
    return Triple(
        f"4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c{number:02}",
        f"9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f607{number:02}",
        name,
    )


def judged(number: int, name: str, verdict: Verdict, *directories: DirectoryCheck) -> SourceVerdict:
    def total(field: str) -> int:
        return sum(getattr(d, field) or 0 for d in directories if not d.ignored)

    return SourceVerdict(
        **triple(number, name)._asdict(),
        verdict=verdict,
        different_files=total("different_files"),
        missing_files=total("missing_files"),
        extra_files=total("extra_files"),
        directories=list(directories),
    )


def differs(
    path: str, different: int = 0, missing: int = 0, ignored: bool = False
) -> DirectoryCheck:
    return DirectoryCheck(
        path=path,
        total_files=10,
        different_files=different,
        missing_files=missing,
        extra_files=0,
        ignored=ignored,
    )


SUMMARY = summarise(
    [
        judged(1, "web-01", "consistent", differs("/")),
        judged(2, "db-02", "inconsistent", differs("/etc", different=1)),
        unknown(triple(3, "数据库主机"), "the lookup failed: SMS.2007 (Background exception)"),
        judged(
            4,
            'app, "blue"',
            "inconsistent",
            differs("/a", missing=2),
            differs("/var/log", different=7, ignored=True),
            differs("/b", different=3),
            differs("/c", different=1),
            differs("/d", missing=1),
        ),
    ]
)


def table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_sources_to_act_on_come_worst_first_with_why() -> None:
    data = differing_csv(SUMMARY)
    assert data is not None
    assert data.startswith(b"\xef\xbb\xbf")  # like rejected.csv, for Excel
    rows = table(data)
    assert rows[0] == ["task_id", "source_id", "source_name", "verdict", "reason"]
    assert [(row[2], row[3], row[4]) for row in rows[1:]] == [
        (
            'app, "blue"',
            "inconsistent",
            "files: 4 different, 3 missing, 0 extra; in /a, /b, /c and 1 more",
        ),
        ("db-02", "inconsistent", "files: 1 different, 0 missing, 0 extra; in /etc"),
        ("数据库主机", "unknown", "the lookup failed: SMS.2007 (Background exception)"),
    ]


def test_it_reads_back_through_the_functions_own_readers_as_the_same_triples() -> None:
    data = differing_csv(SUMMARY)
    assert data is not None
    checked = check_rows(read_rows(io.BytesIO(data), "differing.csv"))
    assert checked.rejected == []
    expected = [s for s in SUMMARY.sources if s.verdict != "consistent"]
    assert checked.valid == [Triple(s.task_id, s.source_id, s.source_name) for s in expected]


def test_every_source_consistent_is_no_file() -> None:
    assert differing_csv(summarise([judged(1, "web-01", "consistent")])) is None
    assert differing_csv(summarise([])) is None


def test_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    hostile = summarise([unknown(triple(5, "=HYPERLINK(1)"), "@SUM(A1)")])
    data = differing_csv(hostile)
    assert data is not None
    assert table(data)[1][2:] == ["'=HYPERLINK(1)", "unknown", "'@SUM(A1)"]
