"""Segments (days past due, amount, creditor, state by DDD, last contact) and recurring campaigns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from certobot.campaigns.recurring import start_due_runs
from certobot.campaigns.runner import tick
from certobot.campaigns.service import next_run_due
from certobot.crm.client import CrmClient
from certokit.clock import SAO_PAULO, FixedClock
from tests.e2e.conftest import Stack, make_stack
from tests.factories import create_debtor


def creditor() -> str:
    # The CRM database lives for the whole run: a creditor of its own keeps each test's portfolio apart.
    return f"Credor {uuid.uuid4().hex[:8]}"


async def portfolio(stack: Stack, name: str, *, promise_in_days: int = 20) -> dict[str, dict[str, Any]]:
    """Eight debtors, one in the segment and ready; three in it but not to be contacted; four outside."""

    async def make(key: str, **kw: Any) -> dict[str, Any]:
        kw.setdefault("original_creditor", name)
        kw.setdefault("phone", None)
        return await create_debtor(stack.crm, name=f"Pessoa {key.title()}", **kw)

    d = {
        "ready": await make("ready", phone="+5511987001001", days_past_due=200, debt="1000.00"),
        "rio": await make("rio", phone="+5521987001002", days_past_due=200),
        "other": await make("other", phone="+5511987001003", days_past_due=200, original_creditor="Outro S.A."),
        "young": await make("young", phone="+5511987001004", days_past_due=30),
        "small": await make("small", phone="+5513987001005", days_past_due=200, debt="50.00"),
        "opted": await make("opted", phone="+5514987001006", days_past_due=200),
        "agreed": await make("agreed", phone="+5515987001007", days_past_due=200),
        "promised": await make("promised", phone="+5516987001008", days_past_due=200),
    }
    for key, change in (("opted", {"opted_out": True}), ("agreed", {"debt_status": "agreed"})):
        r = await stack.crm.put(f"/api/debtors/{d[key]['id']}", json=change)
        assert r.status_code == 200, r.text
    promised = (datetime.now(UTC).astimezone(SAO_PAULO).date() + timedelta(days=promise_in_days)).isoformat()
    r = await stack.crm.post(
        f"/api/debtors/{d['promised']['id']}/contacts", json={"kind": "payment_promise", "promised_date": promised}
    )
    assert r.status_code == 201, r.text
    return d


def segment(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Aurora SP 90+",
        "creditor": name.upper(),  # typed as the team types it: case does not matter
        "ufs": ["SP"],
        "min_days_past_due": 90,
        "min_amount_cents": 10_000,
        **extra,
    }


class TestSegmentPreview:
    async def test_count_reasons_and_a_masked_sample_before_creating(self, stack: Stack) -> None:
        name = creditor()
        d = await portfolio(stack, name)
        r = await stack.bot.post("/api/campaigns/segments/preview", json={"segment": segment(name)})
        assert r.status_code == 200, r.text
        p = r.json()
        # The CRM lists open debts only: the one with an agreement is not in the portfolio's segment.
        assert (p["count"], p["matched"]) == (1, 3)
        assert p["skipped"] == {"opted_out": 1, "promise": 1}
        assert p["skipped_labels"]["promise"] == "Promessa de pagamento em vigor"
        ready = d["ready"]["cpf"]
        assert p["sample"] == [
            {
                "name": "Pessoa",
                "cpf": f"***.***.***-{ready[-2:]}",
                "uf": "SP",
                "days_past_due": d["ready"]["days_past_due"],
                "amount_cents": 100_000,
                "creditor": name,
            }
        ]
        assert ready not in r.text
        assert "987001001" not in r.text  # no phone, not even in part

        # By DDD instead of state: 13 is Santos (SP), and only 'small' lives there, below the amount.
        r = await stack.bot.post(
            "/api/campaigns/segments/preview", json={"segment": segment(name, ufs=[], ddds=[13], min_amount_cents=0)}
        )
        assert r.json()["count"] == 1
        assert r.json()["sample"][0]["amount_cents"] == 5_000

        # Never contacted: the promise was a contact, so it is not even in the segment any more.
        r = await stack.bot.post(
            "/api/campaigns/segments/preview", json={"segment": segment(name, last_contact="never")}
        )
        assert (r.json()["count"], r.json()["matched"]) == (1, 2)

    async def test_incoherent_filters_are_refused_in_portuguese(self, stack: Stack) -> None:
        cases = [
            (
                {"min_days_past_due": 100, "max_days_past_due": 10},
                "o mínimo de dias de atraso (100) é maior que o máximo (10)",
            ),
            ({"min_amount_cents": 500, "max_amount_cents": 100}, "o valor mínimo é maior que o valor máximo"),
            ({"ddds": [20, 11]}, "DDD que não existe: 20"),
            ({"last_contact": "older_than"}, "diga há quantos dias"),
            ({"last_contact_days": 30}, "last_contact_days só vale com last_contact = older_than"),
        ]
        for seg, message in cases:
            r = await stack.bot.post("/api/campaigns/segments/preview", json={"segment": seg})
            assert r.status_code == 422, seg
            assert message in r.json()["detail"], r.json()["detail"]
        r = await stack.bot.post("/api/campaigns/segments/preview", json={"segment": {"ufs": ["XX"]}})
        assert r.status_code == 422
        assert r.json()["detail"].startswith("Dados inválidos")

    async def test_a_segment_of_an_uploaded_file(self, stack: Stack) -> None:
        name = creditor()
        d = await portfolio(stack, name)
        csv = "cpf\n" + "\n".join(d[k]["cpf"] for k in ("ready", "rio", "opted", "agreed")) + "\n"
        report = (await stack.bot.post("/api/campaigns/uploads", files={"file": ("a.csv", csv.encode())})).json()
        r = await stack.bot.post(
            "/api/campaigns/segments/preview", json={"segment": segment(name), "upload_id": report["id"]}
        )
        assert r.status_code == 200, r.text
        # Valid lines: 'ready', 'rio' and 'agreed' (the opt-out was refused at upload); Rio is not SP,
        # and the one with an agreement is in the segment but left out.
        assert (r.json()["count"], r.json()["matched"]) == (1, 2)
        assert r.json()["skipped"] == {"agreement": 1}
        r = await stack.bot.post(
            "/api/campaigns", json={"name": "Arquivo SP", "upload_id": report["id"], "segment": segment(name)}
        )
        assert r.status_code == 202, r.text
        assert r.json()["total"] == 1


class TestSegmentedCampaign:
    async def test_the_segment_is_stored_and_only_its_debtors_are_queued(self, stack: Stack) -> None:
        name = creditor()
        await portfolio(stack, name)
        r = await stack.bot.post("/api/campaigns", json={"name": "Aurora", "segment": segment(name), "per_minute": 600})
        assert r.status_code == 202, r.text
        c = r.json()
        assert c["total"] == 1
        assert c["segment"]["creditor"] == name.upper()
        assert c["segment"]["name"] == "Aurora SP 90+"
        assert c["recurrence"] is None

    async def test_a_segment_nobody_may_hear_now_creates_nothing(self, stack: Stack) -> None:
        name = creditor()
        await portfolio(stack, name)
        r = await stack.bot.post("/api/campaigns", json={"segment": segment(name, ufs=["RJ"], min_days_past_due=1000)})
        assert r.status_code == 409
        assert r.json()["detail"] == "Ninguém desse segmento pode ser contatado agora: nada a enviar."


class TestRecurringCampaign:
    async def test_weekly_runs_reevaluate_the_segment_and_skip_who_was_just_contacted(
        self, database_url: str, redis_url: str, engine: object
    ) -> None:
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        async with make_stack(database_url, redis_url, run_background_workers=False, clock=clock) as stack:
            name = creditor()
            await portfolio(stack, name)
            today = clock.now().astimezone(SAO_PAULO).date()
            tomorrow = today + timedelta(days=1)
            rule = {"every": "weekly", "weekdays": [tomorrow.weekday()], "at": "10:00", "skip_contacted_hours": 720}
            r = await stack.bot.post(
                "/api/campaigns",
                json={"name": "Semanal", "segment": segment(name), "recurrence": rule, "per_minute": 600},
            )
            assert r.status_code == 202, r.text
            c = r.json()
            first = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, 0, tzinfo=SAO_PAULO)
            assert (c["status"], c["total"], c["runs"]) == ("waiting", 0, [])
            assert datetime.fromisoformat(c["next_run_at"]) == first
            assert c["paused_reason"] == "Aguardando a próxima execução."
            resources = stack.bot_app.state.resources
            async with resources.sessionmaker() as db:
                assert await next_run_due(db) == first  # what a runner woken by events must wake up for
            assert await tick(resources) == 0  # not yet

            clock.set(first + timedelta(seconds=1))
            assert await tick(resources) == 1
            view = (await stack.bot.get(f"/api/campaigns/{c['id']}")).json()
            assert datetime.fromisoformat(view["next_run_at"]) == first + timedelta(days=7)
            [run] = view["runs"]
            assert (run["matched"], run["queued"], run["sent"], run["status"]) == (3, 1, 1, "done")
            assert run["skipped"] == {"opted_out": 1, "promise": 1}
            clock.advance(timedelta(seconds=2))
            await tick(resources)  # the queue is empty: the campaign waits for its next run
            assert (await stack.bot.get(f"/api/campaigns/{c['id']}")).json()["status"] == "waiting"

            # A week later the segment is read again: the one contacted last week is left alone this time.
            clock.set(first + timedelta(days=7, seconds=1))
            assert await tick(resources) == 0
            view = (await stack.bot.get(f"/api/campaigns/{c['id']}")).json()
            latest = view["runs"][0]
            assert (len(view["runs"]), latest["queued"], latest["status"]) == (2, 0, "done")
            assert latest["skipped"] == {"opted_out": 1, "promise": 1, "recent_contact": 1}
            assert datetime.fromisoformat(view["next_run_at"]) == first + timedelta(days=14)

            # Paused, the runs stop; resumed after a missed run, the next one is the next in the rule, not a burst.
            assert (await stack.bot.post(f"/api/campaigns/{c['id']}/pause")).json()["status"] == "paused"
            clock.set(first + timedelta(days=14, seconds=1))
            assert await tick(resources) == 0
            resumed = (await stack.bot.post(f"/api/campaigns/{c['id']}/resume")).json()
            assert resumed["status"] == "waiting"
            assert datetime.fromisoformat(resumed["next_run_at"]) == first + timedelta(days=21)
            assert len(resumed["runs"]) == 2
            cancelled = (await stack.bot.post(f"/api/campaigns/{c['id']}/cancel")).json()
            assert (cancelled["status"], cancelled["next_run_at"]) == ("cancelled", None)

    async def test_rules_that_cannot_work_are_refused(self, database_url: str, redis_url: str, engine: object) -> None:
        async with make_stack(database_url, redis_url, contact_hours="mon-fri 08:00-20:00") as stack:
            seg = {"min_days_past_due": 90}
            cases = [
                ({"every": "weekly", "weekdays": [5, 6], "at": "10:00"}, 422, "nunca cai dentro do horário de contato"),
                ({"every": "daily", "at": "21:00"}, 422, "nunca cai dentro do horário de contato"),
                ({"every": "weekly", "at": "10:00"}, 422, "escolha ao menos um dia da semana"),
                ({"every": "daily", "weekdays": [1], "at": "10:00"}, 422, "use every = weekly"),
            ]
            for rule, code, message in cases:
                r = await stack.bot.post("/api/campaigns", json={"segment": seg, "recurrence": rule})
                assert r.status_code == code, rule
                assert message in r.json()["detail"], r.json()["detail"]
            far = {
                "segment": seg,
                "recurrence": {"every": "daily", "at": "10:00"},
                "start_at": "9999-12-30T10:00:00-03:00",
            }
            r = await stack.bot.post("/api/campaigns", json=far)
            assert r.status_code == 422
            assert "nunca cai dentro do horário de contato" in r.json()["detail"]
            r = await stack.bot.post(
                "/api/campaigns", json={"cpfs": ["11144477735"], "recurrence": {"every": "daily", "at": "10:00"}}
            )
            assert r.status_code == 422
            assert "precisa de um segmento da carteira" in r.json()["detail"]

    async def test_a_run_with_the_crm_down_is_recorded_as_failed_and_the_next_one_stays(
        self, database_url: str, redis_url: str, engine: object
    ) -> None:
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        async with make_stack(database_url, redis_url, run_background_workers=False, clock=clock) as stack:
            rule = {"every": "daily", "at": "10:00"}
            r = await stack.bot.post("/api/campaigns", json={"segment": {"min_days_past_due": 1}, "recurrence": rule})
            assert r.status_code == 202, r.text
            first = datetime.fromisoformat(r.json()["next_run_at"])
            resources = stack.bot_app.state.resources

            def refuse(request: httpx.Request) -> httpx.Response:
                raise httpx.ConnectError("connection refused", request=request)

            async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
                down = CrmClient(http, "http://crm.test", "k", resources.redis, attempts=1)
                clock.set(first + timedelta(seconds=1))
                assert await start_due_runs(resources.sessionmaker, down, resources.settings, clock.now()) == 1
            view = (await stack.bot.get(f"/api/campaigns/{r.json()['id']}")).json()
            [run] = view["runs"]
            assert (run["status"], run["queued"]) == ("failed", 0)
            assert run["error"] == "O CRM não respondeu; a próxima execução tenta de novo."
            assert datetime.fromisoformat(view["next_run_at"]) == first + timedelta(days=1)
            assert view["status"] == "waiting"
