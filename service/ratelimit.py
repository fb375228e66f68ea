"""Per-client rate limits on the public classify endpoints, with the `limits` library.

A caller with a valid API key is counted per key (its hash: the key itself never goes to the
counters' storage) and gets ``key_rate_factor`` times the limit; anyone else is counted per
client address. The moving window is exact (a fixed window lets a client double its rate across
a boundary, a sliding-window counter approximates); it keeps one timestamp per request counted,
a few kB per client at these limits.

With ``memory://`` each server process counts apart (``serve --workers N`` lets a client make up
to N times the limit); a ``redis://`` storage URI shares the counters.
"""

from __future__ import annotations

import hashlib
import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from nlp_assises.errors import ConfigurationError
from nlp_assises.settings import Settings


def _item(rate: str, field: str) -> RateLimitItem | None:
    if not rate.strip():
        return None
    try:
        return parse(rate)
    except ValueError:
        raise ConfigurationError(
            f"NLP_ASSISES_{field.upper()}={rate!r} is not a rate such as '120/minute'"
        ) from None


class RateLimits:
    """The limits of the settings, one named limit per endpoint group."""

    def __init__(self, settings: Settings) -> None:
        uri = settings.rate_limit_storage
        self.storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items: dict[str, tuple[RateLimitItem, RateLimitItem]] = {}
        for name, field in (("classify", "classify_rate"), ("batch", "classify_batch_rate")):
            item = _item(getattr(settings, field), field)
            if item is not None:
                for_keys = type(item)(item.amount * settings.key_rate_factor, item.multiples)
                self.items[name] = (item, for_keys)

    async def check(self, name: str, request: Request, key: str | None, role: str | None) -> None:
        """Count this request; 429 with Retry-After once over the limit. ``role`` is set only
        for a valid key, so made-up keys cannot dodge the per-address limit."""
        limits = self.items.get(name)
        if limits is None:
            return
        if role is not None and key:
            item = limits[1]
            who = "key:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
        else:
            item = limits[0]
            who = "ip:" + (request.client.host if request.client else "unknown")
        if await self.limiter.hit(item, name, who):
            return
        stats = await self.limiter.get_window_stats(item, name, who)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        raise HTTPException(
            429,
            f"too many requests: the limit is {item.amount} per {item.multiples} "
            f"{item.GRANULARITY.name}; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
