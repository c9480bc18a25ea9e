"""The ports' own behaviour: a stream over chunks, and a bucket seen as an export store."""

from __future__ import annotations

import io
from collections.abc import Iterable

from sms_export.core.ports import (
    BucketExports,
    ChunkReader,
    Listed,
    StoredExport,
    StoredObject,
)


class InMemoryStorage:
    """The Storage protocol over a dict of (bucket, key) → bytes."""

    scheme = "mem"

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def uri(self, bucket: str, key: str) -> str:
        return f"mem://{bucket}/{key}"

    def open(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject:
        content = self.objects[(bucket, key)]
        # Uneven chunks, as a network stream delivers them.
        chunks = [content[i : i + 3] for i in range(0, len(content), 3)]
        return StoredObject.streamed(chunks, "text/plain", version_id)

    def put(
        self,
        bucket: str,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        filename: str | None,
    ) -> StoredExport:
        content = b"".join(chunks)
        self.objects[(bucket, key)] = content
        return StoredExport(self.uri(bucket, key), len(content), content_type, filename, key=key)

    def list(self, bucket: str, prefix: str) -> dict[str, Listed]:
        return {
            key: Listed(len(content), 1.5)
            for (held, key), content in self.objects.items()
            if held == bucket and key.startswith(prefix)
        }


def test_a_chunk_reader_reads_across_chunks_and_counts_the_bytes() -> None:
    reader = ChunkReader([b"ab", b"", b"cde", b"f"])
    buffer = bytearray(4)
    assert reader.readinto(buffer) == 2  # never more than one chunk at a time
    assert bytes(buffer[:2]) == b"ab"
    assert reader.read() == b"cdef"  # the empty chunk is not taken for the end
    assert reader.read() == b""
    assert reader.bytes_read == 6


def test_a_streamed_object_reads_whole_and_closes_its_stream() -> None:
    with StoredObject.streamed([b"task_id,", b"source_id\n"], "text/csv", "v-1") as stored:
        assert isinstance(stored.stream, io.BufferedReader)  # peekable: detection needs it
        assert stored.stream.peek(4)[:4] == b"task"
        assert stored.stream.read() == b"task_id,source_id\n"
        assert (stored.content_type, stored.revision) == ("text/csv", "v-1")
    assert stored.stream.closed


def test_bucket_exports_puts_opens_and_lists_one_bucket() -> None:
    storage = InMemoryStorage()
    storage.objects[("other", "out/x.csv")] = b"not ours"
    exports = BucketExports(storage, "results")
    stored = exports.put("out/batch-1.csv", [b"a,b", b",c\n"], "text/csv", "batch-1.csv")
    exports.put("elsewhere/y.csv", [b"y"], "text/csv", None)
    assert stored.uri == "mem://results/out/batch-1.csv"
    with exports.open("out/batch-1.csv") as opened:
        assert opened.stream.read() == b"a,b,c\n"
    assert exports.existing("out/") == {
        "out/batch-1.csv": StoredExport(
            "mem://results/out/batch-1.csv", 6, "", None, key="out/batch-1.csv", modified=1.5
        )
    }
