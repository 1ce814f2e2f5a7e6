"""WAHA's events in the bot's terms, without HTTP: what counts as a debtor writing, and what not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from certobot.whatsapp.provider import MetaProvider
from certobot.whatsapp.waha.provider import WahaProvider, parse_events
from certokit.whatsapp.graph import GraphClient
from certokit.whatsapp.waha.client import WahaClient, message_id
from tests.fakes import FakeGraph, sign
from tests.whatsapp.waha.fake import FakeWaha, load, message_event


def raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "chat",
    ["120363025246125486@g.us", "status@broadcast", "120363204120240417@newsletter", "123456789012345@lid"],
)
def test_groups_broadcasts_channels_and_hidden_ids_are_not_debtors(chat: str) -> None:
    body = message_event("5511987650501", "oi")
    body["payload"]["from"] = chat
    assert parse_events(raw(body)).messages == []


def test_a_photo_with_a_caption_is_what_the_debtor_wrote() -> None:
    body = message_event("5511987650502", "comprovante do pagamento")
    body["payload"].update(hasMedia=True, media={"url": "http://waha/api/files/x.jpeg", "mimetype": "image/jpeg"})
    [msg] = parse_events(raw(body)).messages
    assert (msg.kind, msg.text) == ("image", "comprovante do pagamento")


def test_an_audio_has_no_text_to_read() -> None:
    body = message_event("5511987650503", "")
    body["payload"].update(hasMedia=True, media={"mimetype": "audio/ogg; codecs=opus"})
    [msg] = parse_events(raw(body)).messages
    assert (msg.kind, msg.text) == ("audio", None)


def test_kinds_we_do_not_handle_are_accepted_and_ignored() -> None:
    inbound = parse_events(raw({"event": "presence.update", "session": "default", "payload": {"id": "x"}}))
    assert (inbound.messages, inbound.statuses, inbound.session_status) == ([], [], None)


def test_a_pending_ack_moves_nothing() -> None:
    body = load("message_ack_read")
    body["payload"].update(ack=0, ackName="PENDING")
    assert parse_events(raw(body)).statuses == []


def test_not_waha_json_is_refused() -> None:
    with pytest.raises(ValueError, match="WAHA"):
        parse_events(raw({"object": "whatsapp_business_account", "entry": []}))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (load("send_text_webjs"), "true_5511987650101@c.us_3EB0B430B6F8F1D0E053AC120E"),
        (load("send_text_noweb"), "true_5511987650101@c.us_BAE5F5A632EAE722"),
        ({"id": "true_5511987650101@c.us_ABC"}, "true_5511987650101@c.us_ABC"),
        (None, None),
        ([], None),
        ({"sent": True}, None),
    ],
)
def test_the_sent_message_id_is_read_from_any_engine_answer(answer: Any, expected: str | None) -> None:
    assert message_id(answer, "5511987650101@c.us") == expected


async def test_meta_behind_the_same_interface_verifies_and_parses_its_own_body() -> None:
    body = (Path(__file__).parent.parent.parent / "data" / "meta" / "text.json").read_bytes()
    async with httpx.AsyncClient() as http:
        graph = GraphClient(http, base_url="http://graph.test", access_token="t", phone_number_id="1")
    meta = MetaProvider(graph, "app-secret")
    assert meta.verify(body, {"x-hub-signature-256": sign(body, "app-secret")})
    assert not meta.verify(body, {"x-hub-signature-256": sign(body, "other")})
    [msg] = meta.parse(body).messages
    assert msg.kind == "text"


async def test_each_provider_sends_an_image_and_an_opening_its_own_way() -> None:
    graph, waha = FakeGraph(), FakeWaha()
    async with (
        httpx.AsyncClient(transport=graph.transport) as graph_http,
        httpx.AsyncClient(transport=waha.transport) as waha_http,
    ):
        meta = MetaProvider(GraphClient(graph_http, base_url="http://g", access_token="t", phone_number_id="1"))
        own = WahaProvider(WahaClient(waha_http, base_url="http://w", api_key=waha.api_key, session="default"))
        for provider in (meta, own):
            await provider.send_image("5511987650601", b"\xff\xd8jpeg", "foto.jpg", "legenda")
            await provider.send_opening("5511987650601", "cobranca_abertura", "pt_BR", ["Ana", "Certo"])
    assert [b["type"] for b in graph.messages_to("5511987650601")] == ["image", "template"]
    assert [c.path for c in waha.sends()] == ["/api/sendImage", "/api/sendText"]
    image, opening = waha.sends()
    assert image.body is not None
    assert opening.body is not None
    assert image.body["file"]["mimetype"] == "image/jpeg"
    assert opening.body["text"].startswith("Olá, Ana! Aqui é a Certo.")
