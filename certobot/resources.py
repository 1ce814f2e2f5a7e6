"""Everything the bot connects to, built once in the lifespan (or the worker) and closed there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from certobot.config import BotSettings
from certobot.live.switch import SwitchCache
from certobot.policies.book import PolicyBook
from certobot.whatsapp.marks import SentMarks
from certobot.whatsapp.provider import Provider
from certokit.clock import Clock, SystemClock
from certokit.whatsapp.graph import GraphClient

if TYPE_CHECKING:
    from certobot.live.feed import LiveFeed
    from certobot.whatsapp.inbox import InboundWriters


@dataclass
class Resources:
    settings: BotSettings
    engine: AsyncEngine  # the hot path's own statements (generic plans: certobot.main.build_resources)
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    http: httpx.AsyncClient
    graph: GraphClient
    provider: Provider  # what the sender speaks: Meta (wrapping `graph`) or WAHA
    extra: list[httpx.AsyncClient] = field(default_factory=list)
    clock: Clock = field(default_factory=SystemClock)
    # The creditors' negotiation policies, kept in memory (certobot.policies.book explains why).
    policies: PolicyBook = field(default_factory=PolicyBook)
    switches: SwitchCache = field(default_factory=SwitchCache)  # "everything to people", kept in process
    live: LiveFeed | None = None  # the console's live stream, started by its first subscriber
    # Replies this process's worker sent whose record is held for the process's next statement —
    # its webhooks' among them (certobot.whatsapp.marks); set by the worker (Pipeline) it runs.
    marks: SentMarks | None = None
    # The webhook's writes, made together for the webhooks of a moment (certobot.whatsapp.intake).
    inbound: InboundWriters | None = None

    async def aclose(self) -> None:
        if self.live is not None:
            await self.live.aclose()
        for client in self.extra:
            await client.aclose()
        await self.http.aclose()
        await self.redis.aclose()
        await self.redis.connection_pool.disconnect()  # a pool we built ourselves is ours to close
        await self.engine.dispose()
        sessions = self.sessionmaker.kw.get("bind")
        if isinstance(sessions, AsyncEngine) and sessions is not self.engine:  # the sessions' own pool
            await sessions.dispose()
