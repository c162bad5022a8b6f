"""What response compression (``http.compression``) costs and saves on an export-shaped stream.

    .venv/bin/python -m bench.compression [--mb 50] [--chunk 65536] [--repeats 3]

Builds CSV text shaped like ``/exports/observations.csv`` (varied values, dataset slugs, ISO
timestamps), streams it through the middleware in chunks as a route would, and prints for
each coding the median MB/s of input compressed and the ratio (input / output). Figures
only; no database needed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from lnob_api.http.compression import CompressionMiddleware

HEADER = (
    "dataset,indicator,area,period,value,unit,obs_status,conf_status,sample_size,sex,age,"
    "disability_status,urbanisation,group,updated_at\n"
)


def export_text(megabytes: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    size = len(HEADER)
    areas = ["KE", "KE-30", "KE-47", "NP", "NP-P3", "BD", "BD-13"]
    sexes = ["F", "M", "_T"]
    while size < megabytes * 1_000_000:
        line = (
            f"household-survey-{rng.randint(1, 40)},{rng.choice(['1.1.1', '4.1.2', '5.5.1'])},"
            f"{rng.choice(areas)},{rng.randint(2015, 2024)},{rng.random() * 100:.2f},PERCENT,A,F,"
            f"{rng.randint(20, 900)},{rng.choice(sexes)},_T,_T,_T,_T,"
            f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T12:00:00.000000Z\n"
        )
        lines.append(line)
        size += len(line)
    return "".join(lines).encode()


async def run_once(body: bytes, chunk: int, accept: str) -> tuple[float, int]:
    """(seconds, bytes out) of one response."""

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/csv; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for start in range(0, len(body), chunk):
            part = body[start : start + chunk]
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    out = 0

    async def send(message: Message) -> None:
        nonlocal out
        if message["type"] == "http.response.body":
            out += len(message["body"])

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/exports/observations.csv",
        "headers": [(b"accept-encoding", accept.encode())],
    }
    started = time.perf_counter()
    await CompressionMiddleware(route)(scope, receive, send)
    return time.perf_counter() - started, out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--chunk", type=int, default=64 * 1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    body = export_text(args.mb)
    print(f"{len(body) / 1e6:.1f} MB of export-shaped CSV, {args.chunk} B chunks")
    print(f"{'coding':<10}{'MB/s':>10}{'ratio':>10}{'out MB':>10}")
    for accept in ("identity", "gzip", "br"):
        times: list[float] = []
        out = 0
        for _ in range(args.repeats):
            seconds, out = await run_once(body, args.chunk, accept)
            times.append(seconds)
        rate = len(body) / 1e6 / statistics.median(times)
        print(f"{accept:<10}{rate:>10.1f}{len(body) / out:>10.2f}{out / 1e6:>10.2f}")


if __name__ == "__main__":
    asyncio.run(main())
