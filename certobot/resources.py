"""Everything the bot connects to, built once in the lifespan (or the worker) and closed there."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from certobot.config import BotSettings
from certobot.policies.book import PolicyBook
from certobot.whatsapp.provider import Provider
from certokit.clock import Clock, SystemClock
from certokit.whatsapp.graph import GraphClient


@dataclass
class Resources:
    settings: BotSettings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    http: httpx.AsyncClient
    graph: GraphClient
    provider: Provider  # what the sender speaks: Meta (wrapping `graph`) or WAHA
    extra: list[httpx.AsyncClient] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    # The creditors' negotiation policies, kept in memory (certobot.policies.book explains why).
    policies: PolicyBook = field(default_factory=PolicyBook)

    async def aclose(self) -> None:
        for client in self.extra:
            await client.aclose()
        await self.http.aclose()
        await self.redis.aclose()
        await self.redis.connection_pool.disconnect()  # a pool we built ourselves is ours to close
        await self.engine.dispose()
