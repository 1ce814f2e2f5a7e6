"""The Privacidade tab in a real browser: a supervisor exports a debtor's data, an admin anonymises it
after a confirmation, errors are shown in Portuguese, and an operator does not see the tab.

Screenshot: docs/screens/privacidade.png.
"""

from __future__ import annotations

import json

from playwright.async_api import Browser, Page, expect

from tests.browser.test_workplace import DESKTOP, call, read_text, shot
from tests.factories import make_cpf


async def sign_in(page: Page, base: str, user: str, password: str) -> None:
    await page.goto(f"{base}/console")
    await page.get_by_label("Usuário").fill(user)
    await page.get_by_label("Senha ou chave").fill(password)
    await page.get_by_label("Senha ou chave").press("Enter")
    await expect(page.locator("#app")).to_be_visible()


async def test_export_then_erase_a_debtor_from_the_console(local_urls: tuple[str, str], browser: Browser) -> None:
    base, crm = local_urls
    expect.set_options(timeout=10_000)  # the machine is shared: slower than a laptop, not broken
    admin_key = "dev-operator-key"
    for name, role in (("sofia.supervisora", "supervisor"), ("rui.operador", "operator")):
        call(f"{base}/api/users", {"username": name, "password": "uma senha bem comprida", "role": role}, admin_key)
    debtor = call(f"{crm}/api/debtors?page_size=1&page=3", key="dev-crm-key")["items"][0]
    cpf = debtor["cpf"]
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"

    # An operator has no Privacidade tab (the API would refuse anyway).
    page = await browser.new_page(viewport=DESKTOP)
    await sign_in(page, base, "rui.operador", "uma senha bem comprida")
    await expect(page.get_by_role("button", name="Conversas")).to_be_visible()
    await expect(page.get_by_role("button", name="Privacidade")).to_be_hidden()
    await page.close()

    # A supervisor exports, and may not erase.
    page = await browser.new_page(viewport=DESKTOP)
    await sign_in(page, base, "sofia.supervisora", "uma senha bem comprida")
    await page.get_by_role("button", name="Privacidade").click()
    await expect(page.get_by_role("button", name="Anonimizar…")).to_be_hidden()
    await page.get_by_label("CPF do titular").fill("123")
    await page.get_by_role("button", name="Exportar dados (JSON)").click()
    await expect(page.locator("#privacyResult")).to_have_text("Informe o CPF com 11 dígitos.")
    await page.get_by_label("CPF do titular").fill(make_cpf(987_654_321))  # valid, but nobody's
    await page.get_by_role("button", name="Exportar dados (JSON)").click()
    await expect(page.locator("#privacyResult.error")).to_have_text("Nenhum dado encontrado para este CPF.")
    await page.get_by_label("CPF do titular").fill(formatted)
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Exportar dados (JSON)").click()
    exported = json.loads(read_text(await (await download.value).path()))
    assert exported["crm"]["cadastro"]["cpf"] == cpf
    assert exported["crm"]["cadastro"]["nome"] == debtor["name"]
    await expect(page.locator("#privacyResult")).to_contain_text("Exportado")
    await shot(page, "privacidade.png")
    await page.close()

    # The admin (the service key) erases, after saying yes.
    page = await browser.new_page(viewport=DESKTOP)
    await page.goto(f"{base}/console")
    await page.get_by_label("Senha ou chave").fill(admin_key)
    await page.get_by_label("Senha ou chave").press("Enter")
    await page.get_by_role("button", name="Privacidade").click()
    await page.get_by_label("CPF do titular").fill(formatted)
    await page.get_by_role("button", name="Anonimizar…").click()
    await expect(page.get_by_role("alertdialog")).to_contain_text(f"terminado em {cpf[-2:]}")
    await page.get_by_role("button", name="Cancelar").click()
    await expect(page.locator("#privacyResult")).to_have_text("Nada foi apagado.")
    assert call(f"{crm}/api/debtors/{cpf}", key="dev-crm-key")["name"] == debtor["name"]
    await page.get_by_role("button", name="Anonimizar…").click()
    await page.get_by_role("button", name="Sim, anonimizar").click()
    await expect(page.locator("#privacyResult")).to_contain_text("Titular anonimizado")
    audit = call(f"{base}/api/audit", key=admin_key)
    actions = [e["action"] for e in (audit["items"] if isinstance(audit, dict) else audit)]
    assert "export" in actions
    assert "erase" in actions
    await page.close()
