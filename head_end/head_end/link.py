"""Frames out of a TCP byte stream (asyncio), for either protocol."""
from __future__ import annotations

import asyncio
import contextlib


class FrameStream:
    """Reads whole, valid frames from a stream: ``extract`` is ``dlt645.extract`` or
    ``gdw1376.extract``; noise and broken frames between them are dropped."""

    def __init__(self, reader: asyncio.StreamReader, extract):
        self.reader = reader
        self.extract = extract
        self.buffer = b''

    async def read(self) -> bytes:
        """The next frame; ``ConnectionError`` when the peer closed the connection."""
        while True:
            raw, used = self.extract(self.buffer)
            if used:
                self.buffer = self.buffer[used:]
            if raw is not None:
                return raw
            chunk = await self.reader.read(4096)
            if not chunk:
                raise ConnectionError("connection closed by the peer")
            self.buffer += chunk


def spaced(raw: bytes) -> str:
    return raw.hex(' ').upper()


async def close_writer(writer: asyncio.StreamWriter | None) -> None:
    if writer is None:
        return
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
