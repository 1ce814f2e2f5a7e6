"""Segments, recurring campaigns and the dashboard by creditor in a real browser; then every tab
checked for contrast, names and the keyboard, at 1366×768 and at a phone's 390×844, with screenshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page, expect

from tests.browser.a11y import audit, keyboard_walk
from tests.browser.test_workplace import DESKTOP, PHONE, call, login, shot

SP = ZoneInfo("America/Sao_Paulo")
KEY = "dev-operator-key"
WEEKDAYS = ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"]
TABS = {
    "dashboard": ("Painel", "painel"),
    "inbox": ("Conversas", "conversas"),
    "campaigns": ("Campanhas", "campanhas"),
    "policies": ("Política", "politica"),
    "review": ("Não entendidas", "nao-entendidas"),
    "templates": ("Modelos", "modelos"),
}


async def test_segmented_weekly_campaign_and_the_dashboard_by_creditor(
    local_urls: tuple[str, str], browser: Browser
) -> None:
    base, _ = local_urls
    expect.set_options(timeout=10_000)
    page = await browser.new_page(viewport=DESKTOP)
    await login(page, base)
    await page.get_by_role("button", name="Campanhas").click()

    creditors = call(f"{base}/api/metrics/filters", key=KEY)["creditors"]
    creditor = creditors[0]
    await expect(page.locator("#segCreditor option", has_text=creditor)).to_have_count(1)
    await page.locator("#segCreditor").select_option(creditor)
    # Scoped to the campaign's form: the policy tab has fields with the same names.
    campaigns = page.locator("#campaigns")
    await campaigns.get_by_label("Atraso mínimo (dias)").fill("30")
    await campaigns.get_by_label("Nome do segmento").fill("Primeiro credor 30+")
    await page.get_by_role("button", name="Ver quantos").click()
    segment = {"name": "Primeiro credor 30+", "creditor": creditor, "min_days_past_due": 30}
    expected = call(f"{base}/api/campaigns/segments/preview", {"segment": segment}, key=KEY)
    assert expected["count"] > 0
    await expect(page.locator("#segCount")).to_contain_text(f"{expected['count']} devedores serão contatados")
    await expect(page.locator("#segSample tr")).to_have_count(min(10, expected["count"]))
    await expect(page.locator("#segSample")).to_contain_text("***.***.***-")

    tomorrow = datetime.now(UTC).astimezone(SP).date() + timedelta(days=1)
    await page.locator("#segCampName").fill("Semanal do credor")
    await page.get_by_label("Repetir").select_option("weekly")
    await page.get_by_label(WEEKDAYS[tomorrow.weekday()], exact=True).check()
    await page.get_by_label("Horário (Brasília)").fill("10:00")
    await shot(page, "campanhas-segmento.png")
    await page.get_by_role("button", name="Criar campanha do segmento").click()
    row = page.locator("#campaignList tr", has_text="Semanal do credor")
    await expect(row).to_contain_text("Aguardando a próxima execução")
    await expect(row).to_contain_text(
        f"{WEEKDAYS[tomorrow.weekday()][:3]} às 10:00 · próxima: {tomorrow:%d/%m/%Y}, 10:00"
    )
    # The list is redrawn every 5 s: a keyboard user on a button stays on it.
    pause = row.get_by_role("button", name="Pausar Semanal do credor")
    await pause.focus()
    await page.evaluate("campaignList()")
    await expect(pause).to_be_focused()
    created = next(c for c in call(f"{base}/api/campaigns", key=KEY)["items"] if c["name"] == "Semanal do credor")
    first = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=SP)
    assert datetime.fromisoformat(created["next_run_at"]) == first
    assert created["segment"]["creditor"] == creditor

    # The dashboard, by creditor: the cards are that creditor's numbers.
    await page.get_by_role("button", name="Painel").click()
    await expect(page.locator("#creditor option", has_text=creditor)).to_have_count(1)
    await page.locator("#creditor").select_option(creditor)
    by_creditor = call(f"{base}/api/metrics/summary?creditor={creditor.replace(' ', '%20')}", key=KEY)
    contacted = page.locator("#cards .card", has_text="Contatados").locator("strong")
    await expect(contacted).to_have_text(str(by_creditor["contacted"]))
    await expect(page.locator("#cards .card", has_text="Valor recuperado")).to_be_visible()
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Exportar atendimentos (CSV)").click()
    text = (await (await download.value).path()).read_bytes().decode("utf-8-sig")
    assert text.startswith("Conversa;Início;Origem;Campanha;Devedor;CPF;Telefone")


async def show(page: Page, tab: str) -> None:
    await page.locator(f'.tab[data-tab="{tab}"]').click()
    await expect(page.locator(f"#{tab}")).to_be_visible()
    if tab == "dashboard":
        await expect(page.locator("#funnel .bar").first).to_be_visible()
    elif tab == "inbox":
        await expect(page.locator("#conversations tr").first).to_be_visible()
    elif tab == "campaigns":
        await expect(page.locator("#campaignList tr").first).to_be_visible()
    elif tab == "policies":
        await expect(page.locator("#policyList tr").first).to_be_visible()
    elif tab == "review":
        await expect(page.locator("#reviewList li").first).to_be_visible()
    elif tab == "templates":
        await expect(page.locator("#tplList tr").first).to_be_visible()


async def test_every_tab_is_readable_named_and_keyboard_reachable_at_both_sizes(
    local_urls: tuple[str, str], browser: Browser
) -> None:
    base, _ = local_urls
    expect.set_options(timeout=10_000)
    debtor = call(f"{base}/simulator/api/debtors")[3]
    call(f"{base}/simulator/api/send", {"phone": debtor["phone"], "text": "oi"})
    rule = {"every": "daily", "at": "10:00"}
    call(f"{base}/api/campaigns", {"name": "Diária", "segment": {"min_days_past_due": 1}, "recurrence": rule}, key=KEY)
    problems: list[str] = []
    for viewport, suffix in ((DESKTOP, "1366"), (PHONE, "celular")):
        page = await browser.new_page(viewport=viewport)
        await login(page, base)
        for tab, (_, slug) in TABS.items():
            await show(page, tab)
            found = await audit(page)
            walk = await keyboard_walk(page)
            where = f"{slug} {suffix}"
            problems += [f"{where}: contraste {c}" for c in found["lowContrast"]]
            problems += [f"{where}: sem nome {n}" for n in found["unnamed"]]
            if found["overflow"]:
                problems.append(f"{where}: a página passa {found['overflow']} px da largura")
            problems += [f"{where}: Tab não alcança {m}" for m in walk["missed"]]
            problems += [f"{where}: foco invisível em {n}" for n in walk["no_ring"]]
            if walk["stuck"]:
                problems.append(f"{where}: o Tab fica preso")
            assert walk["reached"] > 3, where
            await page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
            await shot(page, f"{slug}-{suffix}.png")
        await page.close()
    assert problems == [], "\n".join(problems)
