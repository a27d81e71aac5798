"""What both codecs do with a byte stream: find the first whole valid frame in it."""
from __future__ import annotations

from collections.abc import Callable


def extract(buffer: bytes, start: int, candidate: Callable, truncated: type[Exception]) -> tuple[bytes | None, int]:
    """(the first whole valid frame of ``buffer``, the number of bytes it and the garbage before
    it take), or (None, bytes that can be dropped) when no whole frame is there yet.
    ``candidate(buffer, at)`` gives (the frame starting at ``at``, None) or (None, the error);
    a ``truncated`` error there may be a frame still arriving, so nothing from it on is dropped
    unless a whole frame follows."""
    at, waiting = 0, None
    while True:
        at = buffer.find(start, at)
        if at < 0:
            return None, len(buffer) if waiting is None else waiting
        raw, error = candidate(buffer, at)
        if raw is not None:
            return raw, at + len(raw)
        if isinstance(error, truncated) and waiting is None:
            waiting = at
        at += 1
