"""The rejects report: the rejected rows as a CSV file an operator can fix and re-upload (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sms_export.core.models import FIELDS, Rejection

# Spreadsheet programs run cells that begin like this as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
FILENAME = "rejected.csv"


def spreadsheet_safe(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def rejects_csv(rejected: Iterable[Rejection]) -> bytes:
    """UTF-8 with a BOM, so that Excel shows non-ASCII names as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "reason", *FIELDS])
    for rejection in rejected:
        values = rejection.values or {}
        writer.writerow(
            [
                rejection.row,
                spreadsheet_safe(rejection.reason),
                *(spreadsheet_safe(values.get(name, "")) for name in FIELDS),
            ]
        )
    # A lone surrogate (a direct invocation may carry one) is written as its escape.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8", "backslashreplace")
