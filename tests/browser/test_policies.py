"""The "Política" tab in a real browser: an admin tightens a creditor's policy while one of its debtors is
negotiating, and the debtor's next offer follows it. Screenshot: docs/screens/politica.png."""

from __future__ import annotations

import asyncio
import re
import time
from decimal import Decimal
from typing import Any

from playwright.async_api import Browser, expect

from tests.browser.test_workplace import DESKTOP, SCREENS, call, login


async def bot_reply(base: str, phone: str, before: int, wait: float = 30) -> str:
    """The bot's next message to this phone, once it arrives (positive signal, not a sleep)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        said = [
            m["text"]
            for m in call(f"{base}/simulator/api/messages", {"phone": phone})
            if m["from"] == "bot" and m.get("text")
        ]
        if len(said) > before:
            return str(said[-1])
        await asyncio.sleep(0.3)
    raise AssertionError("the bot did not answer")


async def say(base: str, phone: str, text: str) -> str:
    before = len(
        [m for m in call(f"{base}/simulator/api/messages", {"phone": phone}) if m["from"] == "bot" and m.get("text")]
    )
    assert call(f"{base}/simulator/api/send", {"phone": phone, "text": text})["status"] == "ok"
    return await bot_reply(base, phone, before)


def pick_debtor(crm: str) -> dict[str, Any]:
    """An open debt whose CRM record allows 6+ installments and 10 %+ off: room for a policy to tighten."""
    listed = call(f"{crm}/api/debtors?page=1&page_size=100", key="dev-crm-key")["items"]
    for d in listed:
        p = d["negotiation_params"]
        fits = Decimal(d["debt_amount"]) >= 6 * Decimal(p["min_payment_amount"])
        fits = fits and Decimal(p["max_discount_percentage"]) >= 10
        if (
            d["debt_status"] == "open"
            and not (d["opted_out"] or d["prescribed"])
            and p["max_installments"] >= 6
            and fits
        ):
            return dict(d)
    raise AssertionError("no debtor in the seed fits")


async def test_a_tightened_policy_reaches_the_next_offer(local_urls: tuple[str, str], browser: Browser) -> None:
    base, crm = local_urls
    expect.set_options(timeout=10_000)
    d = pick_debtor(crm)
    creditor = d["original_creditor"]

    # The debtor is already talking to the bot, under the CRM's limits.
    await say(base, d["phone"], "oi")
    opened = await say(base, d["phone"], d["cpf"][:3])
    assert "Identidade confirmada" in opened
    shown = re.search(r"em até (\d+)x", opened)
    assert shown is not None
    assert int(shown.group(1)) > 3

    page = await browser.new_page(viewport=DESKTOP)
    await login(page, base)
    await page.get_by_role("button", name="Política").click()
    # The seeded global default is listed: behaviour did not change until someone edits.
    await expect(page.locator("#policyList tr", has_text="todos os credores")).to_contain_text("até 72x")

    # A new policy for the debtor's creditor; an incoherent number is refused in Portuguese first.
    await page.get_by_label("Credor (* = todos)").fill(creditor)
    await page.get_by_label("Desconto máximo à vista (%)").fill("5")
    await page.get_by_label("Parcela mínima (R$)").fill("10,00")
    await page.get_by_label("Máximo de parcelas").fill("0")
    await page.get_by_role("button", name="Salvar política").click()
    await expect(page.locator("#policyError")).to_have_text("O número máximo de parcelas precisa estar entre 1 e 72.")
    await page.get_by_label("Máximo de parcelas").fill("3")
    await page.get_by_role("button", name="Salvar política").click()
    await expect(page.locator("#policySaved")).to_contain_text("Salva (v1)")
    await expect(page.locator("#policyError")).to_be_hidden()
    row = page.locator("#policyList tr", has_text=creditor)
    await expect(row).to_contain_text("até 3x")
    await expect(row).to_contain_text("5 %")
    await expect(page.locator("#policyHistory tr").first).to_contain_text("criada")

    # Edited again from its row: the history says what changed.
    await row.get_by_role("button", name=f"Editar {creditor} todos").click()
    await expect(page.get_by_label("Máximo de parcelas")).to_have_value("3")
    await page.get_by_label("Desconto máximo à vista (%)").fill("4")
    await page.get_by_role("button", name="Salvar política").click()
    await expect(page.locator("#policySaved")).to_contain_text("Salva (v2)")
    await expect(page.locator("#policyHistory tr").first).to_contain_text("desconto à vista: 5 % → 4 %")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(SCREENS / "politica.png"), full_page=True)  # the history too

    # The same conversation: the debtor asks for 10x and hears the most the new policy allows.
    plan = await say(base, d["phone"], "quero parcelar em 10x")
    assert re.search(r"\b3x de R\$", plan), plan
    assert "10x de" not in plan
    cash = await say(base, d["phone"], "e à vista, quanto fica?")
    amount_cents = int(Decimal(d["debt_amount"]) * 100)
    most = amount_cents * 4 // 100  # 4 %, below the CRM's own maximum for this debtor
    offered = re.search(r"R\$ ([\d.]+,\d\d) à vista", cash)
    assert offered is not None, cash
    total = int(offered.group(1).replace(".", "").replace(",", ""))
    assert amount_cents - most <= total < amount_cents
