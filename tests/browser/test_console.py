"""The operators' console in a browser: list, transcript, take over, and a message that reaches WhatsApp."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

SHOTS = Path(__file__).resolve().parents[2] / "artifacts"


def post(url: str, body: dict[str, object]) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


async def test_operator_takes_over_and_writes(local_stack: str, browser: Browser) -> None:
    with urllib.request.urlopen(f"{local_stack}/simulator/api/debtors") as r:
        debtor = json.load(r)[5]
    post(f"{local_stack}/simulator/api/send", {"phone": debtor["phone"], "text": "oi, quero falar sobre minha dívida"})
    page = await browser.new_page(viewport={"width": 1300, "height": 850})
    await page.goto(f"{local_stack}/console")
    await page.fill("#key", "errada")
    await page.click("#loginForm button")
    await expect(page.locator("#loginError")).to_have_text("Chave recusada.")
    await page.fill("#key", "dev-operator-key")
    await page.click("#loginForm button")
    await expect(page.locator("#funnel .bar").first).to_contain_text("Contatados")
    await page.get_by_role("button", name="Conversas").click()
    row = page.locator("tr.row", has_text=debtor["phone"][-4:])
    await expect(row).to_have_count(1, timeout=15_000)
    await row.click()
    await expect(page.locator("#transcript .line.in").first).to_contain_text("quero falar sobre minha dívida")
    await expect(page.locator("#transcript .line.out").first).to_contain_text("3 primeiros", timeout=10_000)
    await page.click("#takeover")
    await expect(page.locator("#write")).to_be_visible()
    await page.fill("#message", "Olá! Aqui é a Carla, da equipe. Posso ajudar?")
    await page.click("#write button")
    await expect(page.locator("#transcript .line.operator")).to_contain_text("Aqui é a Carla", timeout=10_000)
    SHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SHOTS / "console.png"), full_page=True)
    sent = post(f"{local_stack}/sandbox/v25.0/sent", {"phone": debtor["phone"].lstrip("+")})
    assert any(m["body"].get("text", {}).get("body") == "Olá! Aqui é a Carla, da equipe. Posso ajudar?" for m in sent)


async def test_a_person_in_crisis_is_first_and_flagged_until_the_team_cares_for_them(
    local_stack: str, browser: Browser
) -> None:
    with urllib.request.urlopen(f"{local_stack}/simulator/api/debtors") as r:
        debtors = json.load(r)
    crisis, calm = debtors[6], debtors[7]
    post(f"{local_stack}/simulator/api/send", {"phone": crisis["phone"], "text": "nao aguento mais, vou me matar"})
    post(f"{local_stack}/simulator/api/send", {"phone": calm["phone"], "text": "oi"})  # newer, and not in crisis
    page = await browser.new_page(viewport={"width": 1300, "height": 850})
    await page.goto(f"{local_stack}/console")
    await page.fill("#key", "dev-operator-key")
    await page.click("#loginForm button")
    await page.get_by_role("button", name="Conversas").click()
    first = page.locator("#conversations tr.row").first
    await expect(first).to_contain_text("Risco de vida", timeout=15_000)
    await expect(first).to_contain_text(crisis["phone"][-4:])
    await first.click()
    await expect(page.locator("#attention")).to_be_visible()
    await page.click("#cared")
    await expect(page.locator("#attention")).to_be_hidden()
    row = page.locator("tr.row", has_text=crisis["phone"][-4:])
    await expect(row).not_to_contain_text("Risco de vida")
