"""Editing what the bot says, in a real browser: the preview, a refusal that names the problem, the save,
and the bot greeting the next debtor with the new words. Screenshot in docs/screens/modelos.png."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browser.test_workplace import DESKTOP, call, login, shot

NEW_GREETING = (
    "Oi, tudo bem? Aqui é a Certa, da {creditor} (CNPJ {cnpj}). Me confirma os 3 primeiros números do seu CPF?"
)


async def test_edit_the_greeting_preview_save_and_the_bot_says_it(
    local_urls: tuple[str, str], browser: Browser
) -> None:
    base, _ = local_urls
    expect.set_options(timeout=10_000)  # the machine is shared: slower than a laptop, not broken
    page = await browser.new_page(viewport=DESKTOP)
    await login(page, base)
    await page.get_by_role("button", name="Modelos").click()
    await page.locator("#tplList tr", has_text="Saudação (primeira resposta)").click()
    body = page.get_by_label("Texto do modelo")
    await expect(body).to_have_value(re.compile(r"^Oi! Tudo bem\? Aqui é a Certa, assistente virtual da \{creditor\}"))
    await expect(page.locator("#tplPreview .line").first).to_contain_text("Certo Recuperadora de Créditos Ltda")
    await expect(page.locator("#tplLegal")).to_contain_text("CDC art. 42-A")

    # A placeholder the bot cannot fill is refused while typing, with the reason.
    await body.fill("Oi, {nome}! Aqui é a Certa.")
    await expect(page.locator("#tplError")).to_contain_text("marcador desconhecido {nome}")
    await expect(page.locator("#tplError")).to_contain_text("falta o marcador {creditor}")
    await page.get_by_role("button", name="Salvar nova versão").click()
    await expect(page.locator("#tplError")).to_contain_text("marcador desconhecido {nome}")  # nothing saved
    await expect(page.locator("#tplVersions")).to_contain_text("Ainda sem edições")

    await body.fill(NEW_GREETING)
    await expect(page.locator("#tplError")).to_be_hidden()
    await expect(page.locator("#tplPreview .line")).to_have_text(
        "Oi, tudo bem? Aqui é a Certa, da Certo Recuperadora de Créditos Ltda (CNPJ 11.222.333/0001-81). Me confirma "
        "os 3 primeiros números do seu CPF?"
    )
    await page.get_by_label("Nota da alteração (opcional)").fill("Saudação com o CNPJ")
    await page.get_by_role("button", name="Salvar nova versão").click()
    await expect(page.locator("#tplSaved")).to_contain_text("Salvo como v1")
    await expect(page.locator("#tplVersions")).to_contain_text("Saudação com o CNPJ")
    await expect(page.locator("#tplList tr", has_text="Saudação (primeira resposta)")).to_contain_text("v1")
    await shot(page, "modelos.png")

    # The next debtor who writes reads the new greeting.
    debtor = call(f"{base}/simulator/api/debtors")[11]
    chat = await browser.new_page(viewport=DESKTOP)
    await chat.goto(f"{base}/simulator")
    await chat.locator("#debtors li", has_text=debtor["phone"]).click()
    await chat.fill("#text", "oi")
    await chat.click("#send")
    await expect(chat.locator("#chat .bot").last).to_contain_text(
        "Oi, tudo bem? Aqui é a Certa, da Certo Recuperadora de Créditos Ltda (CNPJ 11.222.333/0001-81).",
        timeout=15_000,
    )
    await shot(chat, "modelos-simulador.png")

    # And back to the default, from the history.
    await page.get_by_role("button", name="Restaurar texto padrão").click()
    await expect(page.locator("#tplSaved")).to_contain_text("Texto padrão restaurado (v2)")
    await expect(body).to_have_value(re.compile(r"^Oi! Tudo bem\? Aqui é a Certa, assistente virtual da \{creditor\}"))
    await expect(page.locator("#tplVersions tr")).to_have_count(2)
