"""Which encoding a text file is in, found from its bytes, never configured: UTF-8 (with a
byte-order mark or not), UTF-16 with one, or GB18030; and a GB18030 file holding UTF-8
text too is refused rather than read as mojibake."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from sms_export.core.errors import InputError

NUL = b"\x00"
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),  # Excel's "Unicode text"
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(sample: bytes, name: str) -> str:
    """UTF-8 (BOM optional), UTF-16 with BOM, or GB18030/GBK (Chinese Excel's default)."""
    for bom, encoding in BOMS:
        if sample.startswith(bom):
            return encoding
    if NUL in sample:
        raise InputError(
            "UnreadableFile",
            f"{name} looks binary (a NUL byte at byte {sample.index(NUL)}), not a text file",
        )
    if _decodes(sample, "utf-8"):
        return "utf-8"
    mixed = MixedEncodings(name, first_non_utf8(sample))
    mixed.check_before_failure(sample)
    if _decodes(sample, "gb18030"):
        return "gb18030"
    mixed.explain(sample, 0)
    raise InputError(
        "UnreadableFile",
        f"{name} is neither UTF-8, UTF-16 nor GB18030 text "
        f"(it fails as UTF-8 at byte {first_non_utf8(sample)})",
    )


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def first_non_utf8(sample: bytes) -> int:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start
    return len(sample)


_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")


class MixedEncodings:
    """Refuses a GB18030 file holding UTF-8 text too (files joined with `cat`, a sheet edited
    in two tools), which would otherwise be read as mojibake and exported, and says so
    where such a file fails to decode at all.

    The evidence is a run of non-ASCII bytes that decodes as UTF-8 with a character of
    three bytes or more (Chinese in UTF-8). GBK text rarely forms one such run by chance
    (about once in thousands of names), so a file that decodes is refused for one before
    its first byte that fails as UTF-8 (that text is UTF-8, what follows is not), or for
    two in a row anywhere.
    """

    STREAK = 2

    def __init__(self, name: str, not_utf8_at: int) -> None:
        self._name = name
        self._not_utf8_at = not_utf8_at
        self._streak: list[int] = []

    def check_before_failure(self, sample: bytes) -> None:
        for run in _NON_ASCII_RUN.finditer(sample, 0, self._not_utf8_at):
            if run.end() < self._not_utf8_at and _utf8_text(run.group()):
                self._refuse(run.start())  # (the run holding the failure is not judged)

    def check(self, chunk: bytes, offset: int) -> None:
        """A chunk of the file at `offset`; a run cut by the chunk's end is not judged."""
        for start in self._runs(chunk, offset):
            if start is None:
                self._streak.clear()
                continue
            self._streak.append(start)
            if len(self._streak) >= self.STREAK:
                self._refuse(self._streak[0])

    def explain(self, chunk: bytes, offset: int) -> None:
        """Where the file fails to decode anyway: one UTF-8 run is explanation enough."""
        for start in self._runs(chunk, offset):
            if start is not None:
                self._refuse(start)

    def _runs(self, chunk: bytes, offset: int) -> Iterator[int | None]:
        """Where each complete run of non-ASCII bytes starts if it is UTF-8, else None."""
        for run in _NON_ASCII_RUN.finditer(chunk):
            if run.end() == len(chunk):
                return
            yield offset + run.start() if _utf8_text(run.group()) else None

    def _refuse(self, utf8_at: int) -> None:
        raise InputError(
            "UnreadableFile",
            f"{self._name} mixes encodings: UTF-8 text at byte {utf8_at}, GB18030 (GBK) "
            f"text at byte {self._not_utf8_at}; save it again in one encoding (UTF-8)",
        )


def _utf8_text(run: bytes) -> bool:
    """Whether non-ASCII bytes are UTF-8 holding a character of three bytes or more."""
    try:
        text = run.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return 2 * len(text) < len(run)  # not all two-byte characters
