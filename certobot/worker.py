"""Background work of the bot: the stream consumer, the sweeper/sender, the CRM outbox, expiry.

The API runs these in its lifespan; `certobot worker` runs them alone, to scale out.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress

from sqlalchemy.exc import SQLAlchemyError

from certobot.config import BotSettings
from certobot.crm.client import CrmClient
from certobot.crm.outbox import run_outbox_loop
from certobot.live.feed import SWITCHES
from certobot.policies.book import keep_fresh, try_reload
from certobot.resources import Resources
from certobot.whatsapp.pipeline import Pipeline, TurnHandler
from certokit.logging import configure_logging, get_logger
from certokit.wakeup import CRM_OUTBOX, POLICIES, Wakeups

log = get_logger("certobot.worker")


def start_background(resources: Resources, handler: TurnHandler, stop: asyncio.Event) -> list[asyncio.Task[None]]:
    s = resources.settings
    pipeline = Pipeline(resources, handler, concurrency=s.worker_concurrency)
    crm = CrmClient(resources.http, s.crm_base_url, s.crm_api_key.get_secret_value(), resources.redis)
    wakeups = Wakeups(s.database_url, (CRM_OUTBOX, POLICIES, SWITCHES))
    resources.switches.stale = wakeups.event(SWITCHES)  # a switch flipped in any process: read it again
    tasks = [
        asyncio.create_task(pipeline.consume(stop), name="consume"),
        asyncio.create_task(pipeline.sweep(stop), name="sweep"),
        asyncio.create_task(wakeups.run(stop), name="listen"),
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
    with suppress(ImportError):
        from certobot.negotiation.expiry import run_expiry_loop

        flow = handler if hasattr(handler, "expire") else None
        if flow is not None:
            tasks.append(asyncio.create_task(run_expiry_loop(resources, flow, stop), name="expiry"))  # type: ignore[arg-type]
    from certobot.campaigns.runner import run_campaigns
    from certobot.privacy.retention import run_retention_loop

    tasks.append(asyncio.create_task(run_campaigns(resources, stop), name="campaigns"))
    tasks.append(asyncio.create_task(run_retention_loop(resources, stop), name="retention"))
    from certobot.lifecycle.reminders import run_reminders

    tasks.append(asyncio.create_task(run_reminders(resources, stop), name="reminders"))
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
    from certobot.main import build_resources
    from certobot.negotiation.flow import build_turn_handler

    configure_logging(settings.log_level, json=settings.log_json, file=settings.log_file)
    resources = build_resources(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await try_reload(resources.policies, resources.sessionmaker)
    tasks = start_background(resources, build_turn_handler(resources), stop)
    tasks.append(await start_template_refresh(resources, stop))
    log.info("worker_started")
    await stop.wait()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError, Exception):
            await task
    await resources.aclose()
