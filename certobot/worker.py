"""Background work of the bot, and which process runs it.

Every process with BACKGROUND on (or auto, the default) runs the loops that share their work by
design: the stream consumer (a Redis consumer group hands each message to one consumer) and the
CRM outbox (rows claimed with a lease, FOR UPDATE SKIP LOCKED, and posted a few conversations at a
time, each conversation's rows in order). The singleton loops run only in the process that holds
the leader lock (`certokit.leader`), one at a time however many API processes and workers there
are, and another process takes them over when it dies:
- the sweeper (N of them would announce the same stored events N times),
- campaigns (N would contend for the same campaign rows every step),
- conversation expiry, lifecycle reminders and retention (scans of the whole table).
Each sleeps until its next deadline or a Postgres NOTIFY (`certokit.wakeup`), with a slow fallback
poll (BACKGROUND_POLL_SECONDS). The API runs all this in its lifespan; `certobot worker` alone.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from certobot.config import BotSettings
from certobot.crm.client import CrmClient
from certobot.crm.outbox import run_outbox_loop
from certobot.live.feed import SWITCHES
from certobot.policies.book import keep_fresh, try_reload
from certobot.resources import Resources
from certobot.whatsapp.pipeline import Pipeline, TurnHandler
from certokit.heap import settle
from certokit.leader import Leadership, Loop, while_leading
from certokit.logging import configure_logging, get_logger
from certokit.wakeup import CAMPAIGNS, CRM_OUTBOX, EXPIRY, POLICIES, SWEEP, Wakeups

log = get_logger("certobot.worker")

LEADER_LOCK = "certobot.background"


def singleton_loops(resources: Resources, handler: TurnHandler, wakeups: Wakeups) -> dict[str, Loop]:
    """The loops only the leader runs, each given its own stop (set when leadership is lost)."""
    from certobot.campaigns.runner import run_campaigns
    from certobot.lifecycle.reminders import run_reminders
    from certobot.privacy.retention import run_retention_loop
    from certobot.whatsapp.sweeper import run_sweeper

    every = wakeups.poll_every(resources.settings.background_poll_seconds)
    loops: dict[str, Loop] = {
        "sweep": lambda stop: run_sweeper(resources, stop, wakeups.event(SWEEP), fallback=every),
        "campaigns": lambda stop: run_campaigns(resources, stop, wakeups.event(CAMPAIGNS), fallback=every),
        "retention": lambda stop: run_retention_loop(resources, stop),
        "reminders": lambda stop: run_reminders(resources, stop),
    }
    with suppress(ImportError):
        from certobot.negotiation.expiry import run_expiry_loop

        flow: Any = handler  # the conversation flow ends silent conversations; a test's handler may not
        if hasattr(flow, "expire"):
            loops["expiry"] = lambda stop: run_expiry_loop(resources, flow, stop, wakeups.event(EXPIRY), fallback=every)
    return loops


def start_background(resources: Resources, handler: TurnHandler, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    s = resources.settings
    pipeline = Pipeline(resources, handler, concurrency=s.worker_concurrency)
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    wakeups = Wakeups(s.database_url, (CRM_OUTBOX, SWEEP, CAMPAIGNS, EXPIRY, POLICIES, SWITCHES))
    resources.switches.stale = wakeups.event(SWITCHES)  # a switch flipped in any process: read it again
    leadership = Leadership(s.database_url, LEADER_LOCK, retry_every=s.leader_retry_seconds)
    tasks = [
        asyncio.create_task(pipeline.consume(stop), name="consume"),
        asyncio.create_task(wakeups.run(stop), name="listen"),
        asyncio.create_task(leadership.run(stop), name="leader"),
        asyncio.create_task(
            run_outbox_loop(
                resources.sessionmaker, crm, stop, wakeups.event(CRM_OUTBOX), wakeups.poll_every(s.outbox_poll_seconds)
            ),
            name="crm-outbox",
        ),
        # Turns run here: the policies they resolve must be current (certobot.policies.book).
        asyncio.create_task(
            keep_fresh(
                resources.policies,
                resources.sessionmaker,
                stop,
                wakeups.event(POLICIES),
                s.policy_refresh_seconds,  # SQLite: one process, and the edit reloads it
            ),
            name="policies",
        ),
    ]
    for name, loop in singleton_loops(resources, handler, wakeups).items():
        tasks.append(asyncio.create_task(while_leading(leadership, stop, loop, name), name=f"lead:{name}"))
    return tasks


async def start_template_refresh(resources: Resources, stop: asyncio.Event) -> asyncio.Task[None]:
    """The edited texts in this process before the first message, then kept current (NOTIFY + slow poll)."""
    from certobot.templates.refresh import reload, run_refresh

    try:
        await reload(resources.sessionmaker, resources.settings, resources.clock)
    except (SQLAlchemyError, OSError) as exc:  # the defaults speak until the database answers
        log.warning("template_load_failed", error=type(exc).__name__)
    return asyncio.create_task(
        run_refresh(resources.sessionmaker, resources.settings, resources.clock, stop), name="templates"
    )


async def run_worker(settings: BotSettings) -> None:
    from certobot.main import build_resources, warm_hot_pool
    from certobot.negotiation.flow import build_turn_handler

    configure_logging(settings.log_level, json=settings.log_json, file=settings.log_file)
    resources = build_resources(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await warm_hot_pool(resources)
    await try_reload(resources.policies, resources.sessionmaker)
    tasks = start_background(resources, build_turn_handler(resources), stop)
    tasks.append(await start_template_refresh(resources, stop))
    settle()  # what startup built is frozen out of the collector's walks (certokit.heap)
    log.info("worker_started")
    await stop.wait()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task
    await resources.aclose()
