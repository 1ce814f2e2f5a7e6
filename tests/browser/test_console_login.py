"""A person signs in to the console with a username and password, under the page's strict CSP."""

from __future__ import annotations

import json
import urllib.request

from playwright.async_api import Browser, expect


async def test_a_person_signs_in_with_username_and_password(local_stack: str, browser: Browser) -> None:
    body = {"username": "lia.operadora", "password": "uma senha bem comprida", "role": "operator"}
    req = urllib.request.Request(
        f"{local_stack}/api/users",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer dev-operator-key"},
    )
    with urllib.request.urlopen(req) as r:
        assert r.status == 201
    page = await browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{local_stack}/console")
    await page.fill("#user", "lia.operadora")
    await page.fill("#key", "senha errada mesmo")
    await page.click("#loginForm button")
    await expect(page.locator("#loginError")).to_have_text("Usuário ou senha incorretos.")
    await page.fill("#key", "uma senha bem comprida")
    await page.click("#loginForm button")
    await expect(page.locator("#funnel .bar").first).to_contain_text("Contatados", timeout=10_000)
    token = await page.evaluate("sessionStorage.getItem('certobot-key')")
    assert token.startswith("cbt1.")  # a short-lived token, not the password, is what the page keeps
    assert violations == []
