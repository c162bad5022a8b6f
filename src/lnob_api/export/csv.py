"""The CSV export's representation: media types, file names and streamed gzip.

The rows themselves are formatted by PostgreSQL (``COPY ... (FORMAT csv)``, see
``export.repository``): UTF-8, a header row, RFC 4180 quoting, an empty field for a NULL.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

# Chunks smaller than this are gathered before compression (fewer, fuller gzip blocks).
_GATHER = 64 * 1024


@dataclass(frozen=True, slots=True)
class Variant:
    """One representation of the export: plain CSV or a gzip file of it."""

    name: str
    media_type: str
    filename: str
    gzip: bool


CSV = Variant("csv", "text/csv; charset=utf-8; header=present", "observations.csv", False)
CSV_GZ = Variant("csv.gz", "application/gzip", "observations.csv.gz", True)


async def gzipped(chunks: AsyncIterator[bytes], *, level: int = 6) -> AsyncIterator[bytes]:
    """Compress a byte stream into one gzip member as it flows (mtime 0: same bytes, same
    file, so an entity tag stays true to the content)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    pending: list[bytes] = []
    size = 0
    async for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= _GATHER:
            out = compressor.compress(b"".join(pending))
            pending, size = [], 0
            if out:
                yield out
    tail = compressor.compress(b"".join(pending)) + compressor.flush()
    if tail:
        yield tail
