"""Classify requests that arrive together are cleaned and classified together.

One worker thread per process runs the CPU-bound work, so requests never block the event loop and
never fight for the GIL; while it works, new requests queue up and form the next batch (spaCy and
the classifier cost about half as much per text in batches of 16 as one by one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from service.metrics import BATCH


class MicroBatcher:
    def __init__(
        self,
        work: Callable[[Sequence[str]], list[dict]],
        *,
        max_batch: int = 16,
        max_wait: float = 0.002,
    ) -> None:
        self.work = work
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: asyncio.Queue[tuple[str, asyncio.Future]] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="classify")
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, texts: Sequence[str]) -> list[dict]:
        loop = asyncio.get_running_loop()
        futures = []
        for text in texts:
            future = loop.create_future()
            await self._queue.put((text, future))
            futures.append(future)
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = [await self._queue.get()]
            deadline = loop.time() + self.max_wait
            while len(items) < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    items.append(await asyncio.wait_for(self._queue.get(), timeout))
                except TimeoutError:
                    break
            texts = [text for text, _ in items]
            BATCH.observe(len(texts))
            try:
                results = await loop.run_in_executor(self._executor, self.work, texts)
            except Exception as exc:  # every waiting request gets the error, the loop goes on
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(items, results, strict=True):
                if not future.done():
                    future.set_result(result)
