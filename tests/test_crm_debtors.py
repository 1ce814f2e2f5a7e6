from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from certokit import rawsql
from certokit.clock import today_sp
from certokit.cpf import format_cpf
from mock_crm.debtors.repository import _BY_PHONE, _PAGE_BY_PHONE
from mock_crm.main import create_app
from tests.conftest import CRM_KEY, crm_settings
from tests.counting import counting
from tests.factories import create_debtor, debtor_payload, make_cpf


class TestAuth:
    async def test_request_without_key_is_401_in_portuguese(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/debtors", headers={"Authorization": ""})
        assert r.status_code == 401
        assert "Authorization: Bearer" in r.json()["detail"]

    async def test_wrong_key_is_401(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/debtors", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        assert r.json()["detail"] == "Chave de acesso inválida."

    async def test_health_needs_no_key(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/health", headers={"Authorization": ""})
        assert r.status_code == 200


class TestGetByCpf:
    async def test_found_formatted_or_not(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, debt="1234.56", max_installments=6)
        for cpf in (d["cpf"], format_cpf(d["cpf"])):
            r = await crm.get(f"/api/debtors/{cpf}")
            assert r.status_code == 200
            body = r.json()
            assert body["cpf"] == d["cpf"]
            assert body["debt_amount"] == "1234.56"
            assert body["negotiation_params"]["max_installments"] == 6
            assert body["days_past_due"] == 200
            assert body["previous_contacts"] == 0

    async def test_unknown_cpf_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get(f"/api/debtors/{make_cpf()}")
        assert r.status_code == 404
        assert r.json()["detail"] == "Devedor não encontrado para este CPF."

    @pytest.mark.parametrize("cpf", ["12345678900", "111.111.111-11", "123", "abcdefghijk"])
    async def test_malformed_cpf_is_422(self, crm: httpx.AsyncClient, cpf: str) -> None:
        r = await crm.get(f"/api/debtors/{cpf}")
        assert r.status_code == 422
        assert r.json()["detail"].startswith("CPF inválido")


class TestFindByPhone:
    async def test_with_and_without_ninth_digit_and_plus(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, phone="+5511987654321")
        await create_debtor(crm, phone="+5521998765432")
        for phone in ("+5511987654321", "5511987654321", "551187654321", "11987654321"):
            r = await crm.get("/api/debtors", params={"phone": phone})
            assert r.status_code == 200
            items = r.json()["items"]
            assert [i["cpf"] for i in items] == [d["cpf"]], phone

    async def test_unknown_phone_is_empty_page(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/debtors", params={"phone": "5511912345678"})
        assert r.status_code == 200
        assert r.json() == {"items": [], "total": 0, "page": 1, "page_size": 50}

    async def test_invalid_phone_is_422(self, crm: httpx.AsyncClient) -> None:
        r = await crm.get("/api/debtors", params={"phone": "123"})
        assert r.status_code == 422
        assert r.json()["detail"].startswith("Telefone inválido")

    async def test_pages(self, crm: httpx.AsyncClient) -> None:
        for _ in range(5):
            await create_debtor(crm)
        r = await crm.get("/api/debtors", params={"page": 2, "page_size": 2})
        body = r.json()
        assert body["total"] == 5
        assert len(body["items"]) == 2
        assert body["page"] == 2

    async def test_every_page_tells_the_same_total(self, crm: httpx.AsyncClient) -> None:
        for _ in range(5):
            await create_debtor(crm)
        pages = {}
        for page in (1, 3, 4):  # full, last (partly filled), past the end
            r = await crm.get("/api/debtors", params={"page": page, "page_size": 2})
            pages[page] = (r.json()["total"], len(r.json()["items"]))
        assert pages == {1: (5, 2), 3: (5, 1), 4: (5, 0)}

    async def test_filter_by_days_past_due_and_amount(self, crm: httpx.AsyncClient) -> None:
        old = await create_debtor(crm, days_past_due=400, debt="500.00")
        await create_debtor(crm, days_past_due=30, debt="500.00")
        await create_debtor(crm, days_past_due=400, debt="5000.00")
        r = await crm.get("/api/debtors", params={"min_days_past_due": 365, "min_amount": "100", "max_amount": "1000"})
        assert [i["cpf"] for i in r.json()["items"]] == [old["cpf"]]


class TestCreate:
    async def test_created_with_e164_phone(self, crm: httpx.AsyncClient) -> None:
        payload = debtor_payload(phone="(11) 98765-4321")
        r = await crm.post("/api/debtors", json=payload)
        assert r.status_code == 201
        assert r.json()["phone"] == "+5511987654321"
        assert r.json()["name"] == "Maria da Conceição"

    async def test_duplicate_cpf_is_409(self, crm: httpx.AsyncClient) -> None:
        payload = debtor_payload()
        assert (await crm.post("/api/debtors", json=payload)).status_code == 201
        r = await crm.post("/api/debtors", json={**payload, "phone": "+5521998765432"})
        assert r.status_code == 409
        assert r.json()["detail"] == "Já existe um devedor com este CPF."

    async def test_invalid_cpf_is_422_in_portuguese(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/debtors", json=debtor_payload(cpf="12345678900"))
        assert r.status_code == 422
        assert "cpf: CPF inválido" in r.json()["detail"]

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("debt_amount", "-5", "debt_amount"),
            ("debt_amount", "10.005", "duas casas"),
            ("phone", "+14155550100", "telefone inválido"),
            ("name", "A\x00B", "caractere nulo"),
            ("name", "x" * 300, "longo demais"),
        ],
    )
    async def test_bad_fields_are_422(self, crm: httpx.AsyncClient, field: str, value: str, expected: str) -> None:
        r = await crm.post("/api/debtors", json={**debtor_payload(), field: value})
        assert r.status_code == 422
        assert expected in r.json()["detail"]

    async def test_non_json_body_is_422_not_500(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/debtors", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"].startswith("Dados inválidos")


class TestUpdate:
    async def test_updates_phone_and_params(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.put(
            f"/api/debtors/{d['cpf']}",
            json={
                "phone": "21998765432",
                "negotiation_params": {
                    "max_discount_percentage": "15.5",
                    "min_payment_amount": "80.00",
                    "max_installments": 4,
                },
            },
        )
        assert r.status_code == 200
        body = r.json()
        assert body["phone"] == "+5521998765432"
        assert body["negotiation_params"] == {
            "max_discount_percentage": "15.50",
            "min_payment_amount": "80.00",
            "max_installments": 4,
        }
        found = await crm.get("/api/debtors", params={"phone": "552198765432"})
        assert [i["cpf"] for i in found.json()["items"]] == [d["cpf"]]

    async def test_unknown_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.put(f"/api/debtors/{make_cpf()}", json={"name": "Fulano"})
        assert r.status_code == 404

    async def test_invalid_is_422(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.put(f"/api/debtors/{d['cpf']}", json={"unknown_field": 1})
        assert r.status_code == 422
        assert "campo não reconhecido" in r.json()["detail"]


ADDRESS = {
    "street": "Rua Conde de Bonfim",
    "number": "680",
    "complement": "apto 1102",
    "district": "Tijuca",
    "city": "Rio de Janeiro",
    "uf": "RJ",
    "cep": "20520-053",
}


class TestAddress:
    async def test_kept_and_returned_with_the_cep_as_digits(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, address=ADDRESS)
        assert d["address"] == {**ADDRESS, "cep": "20520053"}
        again = (await crm.post("/api/debtors/lookup", json={"cpf": d["cpf"]})).json()
        assert again["address"] == {**ADDRESS, "cep": "20520053"}

    async def test_uf_in_lower_case_is_taken(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, address={**ADDRESS, "uf": "rj"})
        assert d["address"]["uf"] == "RJ"

    async def test_optional(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        assert d["address"] is None

    async def test_without_number_is_sem_numero(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, address={k: v for k, v in ADDRESS.items() if k != "number"})
        assert d["address"]["number"] == "S/N"

    async def test_updated_and_cleared(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm, address=ADDRESS)
        moved = {**ADDRESS, "street": "Rua Dias da Cruz", "number": "15", "district": "Méier", "cep": "20720011"}
        r = await crm.put(f"/api/debtors/{d['cpf']}", json={"address": moved})
        assert r.status_code == 200
        assert r.json()["address"]["street"] == "Rua Dias da Cruz"
        assert (await crm.put(f"/api/debtors/{d['cpf']}", json={"name": "Outro Nome"})).json()["address"] == moved
        r = await crm.put(f"/api/debtors/{d['cpf']}", json={"address": None})
        assert r.json()["address"] is None

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("uf", "XX", "address.uf: UF inválida: use a sigla de um dos 27 estados"),
            ("uf", "São Paulo", "address.uf"),
            ("cep", "2052005", "CEP inválido: informe 8 dígitos"),
            ("cep", "20520-05A", "CEP inválido: informe 8 dígitos"),
            ("street", "", "address.street"),
            ("district", "x" * 300, "longo demais"),
        ],
    )
    async def test_bad_address_is_422_in_portuguese(
        self, crm: httpx.AsyncClient, field: str, value: str, expected: str
    ) -> None:
        r = await crm.post("/api/debtors", json=debtor_payload(address={**ADDRESS, field: value}))
        assert r.status_code == 422
        assert expected in r.json()["detail"]

    async def test_an_unknown_address_field_is_422(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post("/api/debtors", json=debtor_payload(address={**ADDRESS, "pais": "BR"}))
        assert r.status_code == 422
        assert "campo não reconhecido" in r.json()["detail"]


class TestContacts:
    async def test_opt_out_is_logged_and_marks_debtor(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "opt_out", "notes": "PARAR"})
        assert r.status_code == 201
        assert r.json()["kind"] == "opt_out"
        info = (await crm.get(f"/api/debtors/{d['cpf']}")).json()
        assert info["opted_out"] is True
        assert info["previous_contacts"] == 1
        assert info["last_contact_at"] is not None

    async def test_payment_promise_needs_a_date_and_shows_on_debtor(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "payment_promise"})
        assert r.status_code == 422
        assert "promised_date" in r.json()["detail"]
        promised = (today_sp() + timedelta(days=30)).isoformat()  # always ahead, whenever this runs
        r = await crm.post(
            f"/api/debtors/{d['cpf']}/contacts", json={"kind": "payment_promise", "promised_date": promised}
        )
        assert r.status_code == 201
        info = (await crm.get(f"/api/debtors/{d['cpf']}")).json()
        assert info["promised_payment_date"] == promised
        history = (await crm.get(f"/api/debtors/{d['cpf']}/contacts")).json()
        assert [h["kind"] for h in history] == ["payment_promise"]

    async def test_unknown_kind_is_422(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        r = await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "spam"})
        assert r.status_code == 422

    async def test_unknown_debtor_is_404(self, crm: httpx.AsyncClient) -> None:
        r = await crm.post(f"/api/debtors/{make_cpf()}/contacts", json={"kind": "attempt"})
        assert r.status_code == 404


class TestLookupAnswers:
    async def test_the_latest_promise_and_follow_up_win_and_every_debt_is_listed(self, crm: httpx.AsyncClient) -> None:
        d = await create_debtor(crm)
        later, earlier = (today_sp() + timedelta(days=40)).isoformat(), (today_sp() + timedelta(days=10)).isoformat()
        for kind, day in (("payment_promise", later), ("follow_up", later), ("payment_promise", earlier)):
            r = await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": kind, "promised_date": day})
            assert r.status_code == 201
        await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "attempt"})
        by_cpf = (await crm.post("/api/debtors/lookup", json={"cpf": d["cpf"]})).json()
        by_phone = (await crm.get("/api/debtors", params={"phone": d["phone"]})).json()["items"]
        by_id = (await crm.get(f"/api/debtors/{d['id']}")).json()
        assert by_phone == [by_cpf]
        assert by_id == by_cpf
        # The promise recorded last counts, though its date is the nearer one.
        assert by_cpf["promised_payment_date"] == earlier
        assert by_cpf["follow_up_date"] == later
        assert by_cpf["previous_contacts"] == 4
        assert [debt["amount"] for debt in by_cpf["debts"]] == [by_cpf["debt_amount"]]


async def test_a_lookup_is_the_key_check_and_one_statement(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's every "oi" (by phone) and CPF check: no second query for debts or contacts, no
    BEGIN/COMMIT round trips around a read."""
    app = create_app(crm_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {CRM_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test", headers=headers) as crm:
            d = await create_debtor(crm)
            await crm.post(f"/api/debtors/{d['cpf']}/contacts", json={"kind": "attempt"})
            for lookup in ("phone", "cpf"):
                with counting(app.state.engine, monkeypatch) as tally:
                    if lookup == "phone":
                        r = await crm.get("/api/debtors", params={"phone": d["phone"], "page_size": 1})
                    else:
                        r = await crm.post("/api/debtors/lookup", json={"cpf": d["cpf"]})
                assert r.status_code == 200
                assert tally.pg_round_trips == 1, (
                    tally.statements
                )  # the throttle answers from memory (mock_crm.throttle)


async def test_a_started_crm_has_its_pool_open_before_the_first_lookup(database_url: str, engine: AsyncEngine) -> None:
    """DATABASE_WARM_UP: the connections a burst of lookups needs are open when the CRM starts, and a
    lookup right after the start finds the debtor (the warm-up read nothing and changed nothing)."""
    app = create_app(crm_settings(database_url, database_warm_up=True, database_max_connections=6))
    async with app.router.lifespan_context(app):
        pool = app.state.engine.pool
        assert pool.checkedin() == pool.size() == 5
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {CRM_KEY}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test", headers=headers) as crm:
            d = await create_debtor(crm)
            r = await crm.post("/api/debtors/lookup", json={"phone": d["phone"]})
            assert r.status_code == 200
            assert r.json()["cpf"] == d["cpf"]
            assert (await crm.post("/api/debtors/lookup", json={"phone": "11987654321"})).status_code == 404
        assert pool.checkedin() == 5  # nothing opened past the warmed ones for these


async def _plans_of(engine: AsyncEngine, statement: Any, params: dict[str, Any], calls: int) -> tuple[int, int]:
    """(custom, generic) plans Postgres made for `statement` run `calls` times on one connection."""
    form = rawsql.positional(statement)
    async with rawsql.driver_connection(engine) as conn:
        for _ in range(calls):
            await rawsql.fetch_on(conn, statement, params)
        row = await conn.fetchrow(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement = $1", form.sql
        )
    return int(row["custom_plans"]), int(row["generic_plans"])


async def test_the_lookup_by_phone_is_planned_once_per_connection_not_per_call(
    crm: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """The bot's every "oi": after Postgres's first five calls it runs one plan, instead of planning
    again on every call (which cost more than running it) as it did with a LIMIT parameter."""
    d = await create_debtor(crm)
    key = (await crm.post("/api/debtors/lookup", json={"phone": d["phone"]})).json()
    assert key["cpf"] == d["cpf"]
    phone_key = await _phone_key_of(engine, d["cpf"])
    custom, generic = await _plans_of(engine, _BY_PHONE, {"key": phone_key}, 12)
    assert custom <= 5
    assert generic >= 7
    # The page by phone (the team's listing, LIMIT and OFFSET parameters) for comparison: planned each call.
    custom, generic = await _plans_of(engine, _PAGE_BY_PHONE[0], {"phone_key": phone_key, "offset": 0, "limit": 2}, 12)
    assert custom == 12


async def _phone_key_of(engine: AsyncEngine, cpf: str) -> str:
    from mock_crm.sealed import SEAL

    async with engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    text("SELECT phone_key FROM crm.crm_debtors WHERE cpf_hash = :h"), {"h": SEAL.cpf_hash(cpf)}
                )
            ).scalar_one()
        )
