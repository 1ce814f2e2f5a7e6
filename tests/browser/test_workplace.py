"""The collection team's workplace in a real browser: dashboard, inbox, take over and give back, campaign upload.

Screenshots land in docs/screens/ (shown in the README), at 1366×768 and at a phone's size.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, ViewportSize, expect

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
DESKTOP = ViewportSize(width=1366, height=768)
PHONE = ViewportSize(width=390, height=844)


def call(url: str, body: dict[str, Any] | None = None, key: str | None = None, method: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method)) as r:
        return json.load(r)


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


async def login(page: Page, base: str) -> None:
    await page.goto(f"{base}/console")
    await expect(page.locator("#app")).to_be_hidden()  # nothing of the workplace before signing in
    await page.get_by_label("Senha ou chave").fill("dev-operator-key")
    await page.get_by_label("Senha ou chave").press("Enter")  # the keyboard is enough
    await expect(page.locator("#app")).to_be_visible()


async def shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / name), full_page=False)


async def test_dashboard_inbox_takeover_and_upload(local_urls: tuple[str, str], browser: Browser) -> None:
    base, crm = local_urls
    expect.set_options(timeout=10_000)  # the machine is shared: slower than a laptop, not broken
    debtors = call(f"{base}/simulator/api/debtors")
    debtor = debtors[7]
    call(f"{base}/simulator/api/send", {"phone": debtor["phone"], "text": "oi, quero negociar minha dívida"})

    page = await browser.new_page(viewport=DESKTOP)
    await login(page, base)
    # The dashboard: numbers, the funnel and the SVG chart drawn by our own script.
    await expect(page.locator("#cards .card").first).to_contain_text("Contatados")
    await expect(page.locator("#funnel .bar").first).to_contain_text("Contatados")
    await expect(page.locator("#chart svg rect")).to_have_count(3)
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Exportar CSV").click()
    csv = read_text(await (await download.value).path())
    assert csv.startswith("Indicador;Valor")
    await shot(page, "painel.png")

    # The inbox: search by name, open with the keyboard, take over, answer, give back.
    await page.get_by_role("button", name="Conversas").click()
    await page.get_by_label("Buscar").fill(debtor["name"])
    await page.get_by_label("Buscar").press("Enter")
    row = page.locator("tr.row", has_text=debtor["name"])
    await expect(row).to_have_count(1, timeout=15_000)
    await expect(row).to_contain_text("Com a assistente")
    await row.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#transcript .line.in").first).to_contain_text("quero negociar", timeout=10_000)
    await page.get_by_role("button", name="Assumir conversa").click()
    await expect(page.get_by_label("Mensagem")).to_be_focused()
    await page.get_by_label("Mensagem").fill("Oi! Aqui é a Carla, da equipe. Posso ajudar?")
    await page.get_by_label("Mensagem").press("Enter")
    await expect(page.locator("#transcript .line.operator")).to_contain_text("Aqui é a Carla", timeout=10_000)
    await page.get_by_label("Anotação da equipe").fill("Prefere falar depois das 18h.")
    await page.get_by_role("button", name="Salvar anotação").click()
    await expect(page.locator("#noteSaved")).to_contain_text("Salva")
    await expect(row).to_contain_text("Com atendente", timeout=10_000)
    await shot(page, "conversas.png")

    # Someone else gives it back meanwhile: the page's next write is refused, and says so.
    session_id = await row.get_attribute("data-id")
    call(f"{base}/api/conversations/{session_id}/handback", {}, key="dev-operator-key", method="POST")
    await page.get_by_label("Mensagem").fill("Ainda está aí?")
    await page.get_by_label("Mensagem").press("Enter")
    await expect(page.locator("#error")).to_be_visible()
    await expect(page.locator("#error")).not_to_have_text("")
    await page.get_by_role("button", name="Assumir conversa").click()
    await page.get_by_role("button", name="Devolver à assistente").click()
    await expect(page.get_by_role("button", name="Assumir conversa")).to_be_visible()
    await expect(page.locator("#error")).to_be_hidden()

    # Campaigns: Excel's semicolon Latin-1 CSV with two bad lines, the report, then a scheduled campaign.
    listed = call(f"{crm}/api/debtors?page=1&page_size=20", key="dev-crm-key")
    good = [d for d in listed["items"] if not d["opted_out"] and not d["prescribed"] and d["debt_status"] == "open"][:3]
    lines = ["Nome;CPF;Observação"] + [f"{d['name']};{d['cpf']};ação" for d in good]
    lines += ["Sem CPF;123.456.789-00;", f"{good[0]['name']};{good[0]['cpf']};repetido"]
    tmp = SCREENS.parent / "devedores-excel.csv"
    tmp.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    try:
        await page.get_by_role("button", name="Campanhas").click()
        await page.get_by_label("Arquivo de devedores (CSV, XLSX ou JSON)").set_input_files(str(tmp))
        await page.get_by_role("button", name="Validar arquivo").click()
        await expect(page.locator("#reportSummary")).to_have_text("5 linhas: 3 prontas para envio, 2 com problema.")
        await expect(page.locator("#report tr.bad")).to_have_count(2)
        await expect(page.locator("#report tr.bad").first).to_contain_text("CPF inválido.")
        await expect(page.locator("#report tr.bad").last).to_contain_text("CPF repetido no arquivo.")
        await shot(page, "campanhas-relatorio.png")
        start = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT09:00")  # always ahead
        await page.get_by_label("Início (vazio = agora)").fill(start)
        await page.get_by_role("button", name="Criar campanha com as linhas válidas").click()
        created = page.locator("#campaignList tr", has_text="devedores-excel")
        await expect(created).to_contain_text("Agendada")
        await expect(created).to_contain_text("3")
        await created.get_by_role("button", name="Pausar devedores-excel").click()
        await expect(created).to_contain_text("Pausada")
        await shot(page, "campanhas.png")
    finally:
        tmp.unlink(missing_ok=True)

    # Every field has a label a screen reader reads out, on every tab.
    unlabelled = await page.evaluate(
        """[...document.querySelectorAll('input, select, textarea')]
             .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
             .map(e => e.id)"""
    )
    assert unlabelled == []

    phone = await browser.new_page(viewport=PHONE)
    await login(phone, base)
    await expect(phone.locator("#funnel .bar").first).to_be_visible()
    await shot(phone, "celular-painel.png")
    await phone.get_by_role("button", name="Conversas").click()
    await expect(phone.locator("tr.row").first).to_be_visible(timeout=10_000)
    await shot(phone, "celular-conversas.png")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off the side of a phone
