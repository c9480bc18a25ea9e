"""rejected.csv: the rejected rows as a file an operator can fix and upload again (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from sms_export.core.models import FIELDS, Rejection

# Spreadsheet programs run cells that begin like this as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
FILENAME = "rejected.csv"


def spreadsheet_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def spreadsheet_csv(header: Sequence[str], rows: Iterable[Iterable[str | int]]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows non-ASCII names as they are; every text cell
    neutralised against formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(c) if isinstance(c, str) else c for c in row])
    # A lone surrogate (a direct invocation may carry one) is written as its escape.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "backslashreplace")


def rejects_csv(rejected: Iterable[Rejection]) -> bytes:
    return spreadsheet_csv(
        ["row", "reason", *FIELDS],
        (
            [
                rejection.row,
                rejection.reason,
                *((rejection.values or {}).get(n, "") for n in FIELDS),
            ]
            for rejection in rejected
        ),
    )
