"""The bot's copy of the CRM contract (certobot/crm) against the CRM app's own OpenAPI schema.

The two services share no code for it, so this is what keeps them from drifting: every route the
bot's CRM client calls exists, every field it sends is one the CRM takes (and it sends all the CRM
requires, with values the CRM allows), and every field it reads is one the CRM answers.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from certobot.crm import client as crm_client
from certobot.crm.schemas import ContactRequest, ConversationOutcome, DebtorInfo, NegotiationParams
from mock_crm.main import create_app

SCHEMA: dict[str, Any] = create_app().openapi()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return _resolve(SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    return node


def _object(node: dict[str, Any]) -> dict[str, Any]:
    """The object schema behind a $ref, an anyOf with null, or an array's items."""
    node = _resolve(node)
    for alt in node.get("anyOf", []):
        if alt.get("type") != "null":
            return _object(alt)
    if node.get("type") == "array":
        return _object(node["items"])
    return node


def _body(method: str, path: str) -> dict[str, Any]:
    op = SCHEMA["paths"][path][method]
    return _object(op["requestBody"]["content"]["application/json"]["schema"])


def _answer(method: str, path: str, status: str = "200") -> dict[str, Any]:
    op = SCHEMA["paths"][path][method]
    return _object(op["responses"][status]["content"]["application/json"]["schema"])


def _enum(node: dict[str, Any]) -> set[Any] | None:
    node = _resolve(node)
    if "enum" in node:
        return set(node["enum"])
    alts = [_enum(a) for a in node.get("anyOf", []) if a.get("type") != "null"]
    return set().union(*alts) if alts and all(a is not None for a in alts) else None


def _literal_values(model: type[BaseModel], name: str) -> set[Any] | None:
    annotation = model.model_fields[name].annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return set(typing.get_args(arg))
    return None


SENT = [
    pytest.param(ConversationOutcome, "post", "/api/negotiations/results", id="outcome"),
    pytest.param(ContactRequest, "post", "/api/debtors/{cpf}/contacts", id="contact"),
]


@pytest.mark.parametrize(("model", "method", "path"), SENT)
def test_what_the_bot_sends_is_what_the_crm_takes(model: type[BaseModel], method: str, path: str) -> None:
    crm = _body(method, path)
    props, required = crm["properties"], set(crm.get("required", []))
    assert set(model.model_fields) <= set(props), "campos que o CRM não conhece"
    assert required <= set(model.model_fields), "campos que o CRM exige e o bot não manda"
    for name in model.model_fields:
        ours, theirs = _literal_values(model, name), _enum(props[name])
        if ours is not None and theirs is not None:
            assert ours <= theirs, f"{name}: valores que o CRM recusaria"


READ = [
    pytest.param(DebtorInfo, _answer("post", "/api/debtors/lookup"), id="debtor"),
    pytest.param(DebtorInfo, _object(_answer("get", "/api/debtors")["properties"]["items"]), id="debtor-page"),
    pytest.param(
        NegotiationParams,
        _object(_answer("get", "/api/debtors/{cpf}")["properties"]["negotiation_params"]),
        id="params",
    ),
]


@pytest.mark.parametrize(("model", "crm"), READ)
def test_what_the_bot_reads_is_what_the_crm_answers(model: type[BaseModel], crm: dict[str, Any]) -> None:
    props, required = crm["properties"], set(crm.get("required", []))
    assert set(model.model_fields) <= set(props), "o bot lê campos que o CRM não responde"
    must = {n for n, f in model.model_fields.items() if f.is_required()}
    assert must <= required, "o bot exige campos que o CRM pode omitir"


def test_every_route_the_client_calls_exists() -> None:
    source = Path(crm_client.__file__).read_text(encoding="utf-8")
    calls = re.findall(r'_request\(\s*"(\w+)",\s*f?"(/api/[^"]*)"', source)
    assert calls, "nenhuma chamada encontrada no cliente"
    templated = {re.sub(r"\{[^}]*\}", "{}", p): set(ops) for p, ops in SCHEMA["paths"].items()}
    for method, path in calls:
        key = re.sub(r"\{[^}]*\}", "{}", path)
        assert method.lower() in templated.get(key, set()), f"{method} {path} não existe no CRM"
