"""Helpers of the asynchronous tests (plain pytest, no plugin)."""
import asyncio
import time


def run(coroutine, timeout=30):
    """Run a scenario on a fresh event loop (plain pytest, no plugin)."""
    async def bounded():
        return await asyncio.wait_for(coroutine, timeout)
    return asyncio.run(bounded())


async def until(condition, timeout=5.0, step=0.01):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)
