"""The console follows the work live: a debtor's message shows up in the open transcript the moment it
arrives, through the server-sent event stream, with no reload and no polling; and the supervisors'
"Não entendidas" queue, labelled in the browser (screenshot in docs/screens/)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browser.test_workplace import DESKTOP, call, login, shot
from tests.fakes import sign, text_webhook

SANDBOX_SECRET = "sandbox-app-secret"  # what `certobot up` configures for its own sandbox
# Records every setInterval the page starts: the console used to poll every 5 s.
RECORD_INTERVALS = """
window.__intervals = [];
const realSetInterval = window.setInterval;
window.setInterval = (fn, ms, ...args) => { window.__intervals.push(ms || 0); return realSetInterval(fn, ms, ...args); };
"""


def webhook(base: str, phone: str, text: str) -> None:
    """The debtor's message as Meta delivers it, signed with the app secret."""
    body: dict[str, Any] = text_webhook(phone.lstrip("+"), text)
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "sandbox"
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SANDBOX_SECRET)}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/webhooks/whatsapp", data=raw, headers=headers)) as r:
        assert r.status == 200


async def wait_for_line(base: str, phone: str, text: str) -> None:
    """Until the bot has stored `text` in the debtor's conversation (read through the API)."""
    for _ in range(100):
        items = call(f"{base}/api/conversations?phone={urllib.parse.quote(phone)}", key="dev-operator-key")["items"]
        if items:
            detail = call(f"{base}/api/conversations/{items[0]['session_id']}", key="dev-operator-key")
            if any(line["text"] == text for line in detail["transcript"]):
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} never reached the conversation")


async def open_conversation(page: Page, name: str) -> None:
    await page.get_by_role("button", name="Conversas").click()
    await page.get_by_label("Buscar").fill(name)
    await page.get_by_label("Buscar").press("Enter")
    row = page.locator("tr.row", has_text=name)
    await expect(row).to_have_count(1, timeout=15_000)
    await row.click()


async def test_a_new_message_appears_in_the_open_transcript_without_polling(
    local_urls: tuple[str, str], browser: Browser
) -> None:
    base, _ = local_urls
    expect.set_options(timeout=10_000)
    debtor = call(f"{base}/simulator/api/debtors")[11]
    webhook(base, debtor["phone"], "oi")
    await wait_for_line(base, debtor["phone"], "oi")

    page = await browser.new_page(viewport=DESKTOP)
    await page.add_init_script(RECORD_INTERVALS)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    await login(page, base)
    await open_conversation(page, debtor["name"])
    await expect(page.locator("#transcript .line.in").first).to_contain_text("oi")
    await expect(page.locator("#liveStatus")).to_contain_text("Ao vivo")
    assert any(url.endswith("/api/events") for url in asked)
    assert not [url for url in asked if "key=" in url or "token=" in url]  # the token stays in a header

    asked.clear()
    started = time.monotonic()
    webhook(base, debtor["phone"], "tô aqui, pode falar")
    await expect(page.locator("#transcript")).to_contain_text("tô aqui, pode falar", timeout=4_000)
    # The transcript moved because the stream said so: nothing polls any more (it used to every 5 s),
    # and nothing reloaded the page.
    assert time.monotonic() - started < 5.0
    intervals = await page.evaluate("window.__intervals")
    assert [ms for ms in intervals if ms < 60_000] == []
    assert not [url for url in asked if url.endswith("/console")]


async def test_supervisor_labels_what_the_bot_did_not_understand(local_urls: tuple[str, str], browser: Browser) -> None:
    base, _ = local_urls
    expect.set_options(timeout=10_000)
    debtor = call(f"{base}/simulator/api/debtors")[12]
    for text in ("oi", debtor["cpf_hint"], "me dá um chorinho aí"):
        webhook(base, debtor["phone"], text)
        await wait_for_line(base, debtor["phone"], text if text != debtor["cpf_hint"] else "•••")

    page = await browser.new_page(viewport=DESKTOP)
    await login(page, base)
    await page.get_by_role("button", name="Não entendidas").click()
    item = page.locator(".review-item", has_text="me dá um chorinho aí")
    await expect(item).to_have_count(1)
    await expect(item.locator(".line.target")).to_contain_text("me dá um chorinho aí")
    await expect(item.locator(".line.out").last).to_contain_text("entend")  # the bot's "não entendi"
    await item.get_by_label("Intenção certa").select_option("cash")
    await shot(page, "nao-entendidas.png")
    await item.get_by_role("button", name="Salvar rótulo").click()
    await expect(item).to_contain_text("Rotulada: À vista / pede desconto")
    with urllib.request.urlopen(
        urllib.request.Request(f"{base}/api/review/export", headers={"Authorization": "Bearer dev-operator-key"})
    ) as r:
        assert json.loads(r.read().decode().splitlines()[-1]) == {"text": "me dá um chorinho aí", "intent": "cash"}

    # The header's switch: on, then off again (the demo's other tests expect the bot to answer).
    await page.get_by_label("Tudo para pessoas").check()
    await expect(page.locator("#handoffAllState")).to_have_text("ligado: a equipe atende todas as mensagens novas")
    assert call(f"{base}/api/handoff-all", key="dev-operator-key")["on"] is True
    await page.get_by_label("Tudo para pessoas").uncheck()
    await expect(page.locator("#handoffAllState")).to_have_text("desligado")
