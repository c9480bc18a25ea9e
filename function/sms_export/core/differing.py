"""differing.csv: the sources to act on, as a file the function takes again as input (pure).

The inconsistent and unknown sources, the worst first, under the header the readers expect
(`task_id,source_id,source_name`) and two more columns the readers pass over (`verdict`,
`reason`): once the cause is fixed, the file is uploaded again as it is. Written like
rejected.csv (UTF-8 with a BOM, cells neutralised against spreadsheet formulas).
"""

from __future__ import annotations

from sms_export.core.models import FIELDS, ConsistencySummary, SourceVerdict
from sms_export.core.rejects import spreadsheet_csv
from sms_export.core.verdicts import DIFFERENCES, worst_first

FILENAME = "differing.csv"
HEADER = (*FIELDS, "verdict", "reason")
NAMED_DIRECTORIES = 3  # the differing directories a reason names


def differing_csv(summary: ConsistencySummary) -> bytes | None:
    """None when every source is consistent: there is nothing to act on."""
    to_act_on = [source for source in summary.sources if source.verdict != "consistent"]
    if not to_act_on:
        return None
    return spreadsheet_csv(
        HEADER,
        (
            [*(getattr(source, name) for name in FIELDS), source.verdict, reason(source)]
            for source in worst_first(to_act_on)
        ),
    )


def reason(source: SourceVerdict) -> str:
    """An unknown source's own reason; for an inconsistent one, what differs and where."""
    if source.verdict != "inconsistent":
        return source.reason or ""
    counts = ", ".join(
        f"{getattr(source, name) or 0} {name.removesuffix('_files')}" for name in DIFFERENCES
    )
    where = [
        directory.path
        for directory in source.directories
        if not directory.ignored and any(getattr(directory, name) for name in DIFFERENCES)
    ]
    named = ", ".join(where[:NAMED_DIRECTORIES])
    more = f" and {len(where) - NAMED_DIRECTORIES} more" if len(where) > NAMED_DIRECTORIES else ""
    return f"files: {counts}" + (f"; in {named}{more}" if where else "")
