"""Bytes → text lines, for files as operators produce them: compressed input is inflated on
the fly, sizes are capped while streaming, and the text is decoded in the encoding that
encodings.py finds (never configured)."""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO, cast

from sms_export.core.encodings import MixedEncodings, detect_encoding, first_non_utf8
from sms_export.core.errors import InputError
from sms_export.core.models import CHUNK_SIZE

SAMPLE_SIZE = 64 * 1024
MAX_LINE = 1024 * 1024  # characters; a CSV row is never near this
GZIP_MAGIC = b"\x1f\x8b"
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class LimitedReader(io.RawIOBase):
    """Counts the bytes read and stops at `limit`, so a compression bomb stops early."""

    def __init__(self, stream: BinaryIO, limit: int, name: str) -> None:
        self._stream = stream
        self._limit = limit
        self._name = name
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self.bytes_read += len(data)
        if self.bytes_read > self._limit:
            raise InputError(
                "InputTooLarge",
                f"{self._name} is larger than MAX_INPUT_BYTES "
                f"({self._limit:,} bytes, counted uncompressed)",
            )
        buffer[: len(data)] = data
        return len(data)


def buffered(stream: BinaryIO) -> io.BufferedReader:
    """A stream that can `peek`, which format and encoding detection need."""
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(cast(io.RawIOBase, stream), CHUNK_SIZE)


def uncompressed(stream: BinaryIO, limit: int, name: str) -> io.BufferedReader:
    """The content as a buffered stream, gunzipped when it starts with the gzip magic."""
    peeked = buffered(stream)
    if peeked.peek(2)[:2] == GZIP_MAGIC:
        inflated = cast(BinaryIO, gzip.GzipFile(fileobj=peeked, mode="rb"))
        limited = LimitedReader(inflated, limit, name)
        return io.BufferedReader(_GzipErrors(limited, name), CHUNK_SIZE)
    return io.BufferedReader(LimitedReader(cast(BinaryIO, peeked), limit, name), CHUNK_SIZE)


class _GzipErrors(io.RawIOBase):
    def __init__(self, stream: LimitedReader, name: str) -> None:
        self._stream = stream
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        try:
            return self._stream.readinto(buffer)
        except (OSError, EOFError, zlib.error) as error:
            raise InputError("UnreadableFile", f"{self._name} is not valid gzip: {error}") from None


class OverlongLine(str):
    """Stands for a line longer than MAX_LINE that was skipped, its content not kept."""


def text_lines(
    source: BinaryIO, name: str, skip_overlong: bool = False, encoding: str | None = None
) -> Iterator[str]:
    """Decoded lines with their ends (CRLF, LF or CR); a decoding failure names its byte.
    A line longer than MAX_LINE fails the file, or, with `skip_overlong` (where each line
    stands alone, as in JSON Lines), is skipped and stands as an OverlongLine. `encoding`,
    when the caller has detected it already (to show it), spares detecting it again."""
    # Flattened in C: rows are many.
    return chain.from_iterable(_line_batches(source, name, skip_overlong, encoding))


def sample_of(stream: BinaryIO) -> tuple[io.BufferedReader, bytes]:
    """The stream as one that can peek, and its first bytes: what detection looks at."""
    peekable = buffered(stream)
    return peekable, peekable.peek(SAMPLE_SIZE)[:SAMPLE_SIZE]


class _Decoder:
    """The file's chunks as text, in the encoding its sample shows; a failure names its
    byte, and a GB18030 file is watched for UTF-8 text mixed in."""

    def __init__(self, sample: bytes, name: str, encoding: str | None) -> None:
        self._name = name
        self._encoding = encoding or detect_encoding(sample, name)
        self._decoder = codecs.getincrementaldecoder(self._encoding)()
        gb18030 = self._encoding == "gb18030"
        self._mixed = MixedEncodings(name, first_non_utf8(sample)) if gb18030 else None
        self._consumed = 0

    def decode(self, chunk: bytes) -> str:
        """The text of `chunk`; the empty chunk (the end) flushes the decoder."""
        held_back = len(self._decoder.getstate()[0])  # bytes of a character split in two
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            if self._mixed is not None:
                self._mixed.explain(chunk, self._consumed)
            offset = self._consumed - held_back + error.start
            raise InputError(
                "UnreadableFile",
                f"{self._name} is not valid {self._encoding.upper()} text: {error.reason} "
                f"at byte {offset}",
            ) from None
        if self._mixed is not None:
            self._mixed.check(chunk, self._consumed)
        self._consumed += len(chunk)
        return text


def _line_batches(
    source: BinaryIO, name: str, skip_overlong: bool, encoding: str | None
) -> Iterator[list[str]]:
    stream, sample = sample_of(source)
    decoder = _Decoder(sample, name, encoding)
    partial: list[str] = []  # the start of a line not yet ended, kept in pieces (no rescans)
    partial_length = 0
    skipping = False  # inside an over-long line, until its end
    split_crlf = False  # the skipped line ended in a CR at the end of a read
    while True:
        chunk = stream.read(CHUNK_SIZE)
        text = decoder.decode(chunk)
        if split_crlf:  # the LF of a CRLF that ended a skipped line
            split_crlf, text = False, text.removeprefix("\n")
        if chunk and "\n" not in text and "\r" not in text:
            if skipping:
                continue
            partial.append(text)
            partial_length += len(text)
            if partial_length > MAX_LINE:
                if not skip_overlong:
                    raise InputError(
                        "UnreadableFile",
                        f"{name} has a line longer than {MAX_LINE:,} characters: not a table",
                    )
                skipping, partial, partial_length = True, [], 0
            continue
        if skipping:  # this text ends the over-long line
            line_end = _LINE_END.search(text)
            yield [OverlongLine()]
            skipping = False
            if line_end is None:
                return  # the input ended inside it
            text = text[line_end.end() :]
            # A CR that ends this read may be the first half of a CRLF.
            split_crlf = line_end.group() == "\r" and not text
        pending = "".join(partial) + text
        # A CR at the very end may be the first half of a CRLF: keep it for the next chunk.
        end = len(pending) - 1 if chunk and pending.endswith("\r") else len(pending)
        lines, rest = _split(pending, end)
        if not chunk and rest < len(pending):
            lines.append(pending[rest:])
        yield lines
        partial, partial_length = [pending[rest:]], len(pending) - rest
        if not chunk:
            return


def _split(text: str, end: int) -> tuple[list[str], int]:
    """The complete lines of text[:end], with their ends, and where the rest starts."""
    if _OTHER_BREAKS.search(text, 0, end):  # str.splitlines would break at these too
        # Split at line ends only, in one pass: text, end, text, end, …, unfinished text.
        parts = _LINE_END.split(text[:end])
        lines = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
        return lines, end - len(parts[-1])
    lines = text[:end].splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        return lines[:-1], end - len(lines[-1])
    return lines, end
