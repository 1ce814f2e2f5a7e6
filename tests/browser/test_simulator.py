"""The simulator page, used as a person would: pick a debtor, chat, receive the boleto."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from playwright.async_api import Browser, expect

SHOTS = Path(__file__).resolve().parents[2] / "artifacts"


async def test_chat_as_a_debtor_until_the_boleto_arrives(local_stack: str, browser: Browser) -> None:
    with urllib.request.urlopen(f"{local_stack}/simulator/api/debtors") as r:
        debtors = json.load(r)
    assert len(debtors) >= 100
    debtor = next(d for d in debtors if d["days_past_due"] < 1700)
    page = await browser.new_page(viewport={"width": 1100, "height": 800})
    await page.goto(f"{local_stack}/simulator")
    await page.locator("#debtors li", has_text=debtor["phone"]).click()
    chat = page.locator("#chat")

    async def say(text: str, expect_text: str) -> None:
        await page.fill("#text", text)
        await page.click("#send")
        await expect(chat.locator(".bot").last).to_contain_text(expect_text, timeout=15_000)

    await say("oi", "3 primeiros")
    await say(debtor["cpf_hint"], "Identidade confirmada")
    await say("quero pagar à vista", "Posso fechar o acordo?")
    await page.fill("#text", "fechou")
    await page.click("#send")
    await expect(chat.locator("a.doc")).to_have_count(1, timeout=20_000)
    await expect(chat.locator(".bot").last).to_contain_text("br.gov.bcb.pix", timeout=15_000)
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / "simulator.png"), full_page=True)
    pdf = await page.request.get(local_stack + (await chat.locator("a.doc").get_attribute("href") or ""))
    assert pdf.ok
    assert (await pdf.body()).startswith(b"%PDF")
