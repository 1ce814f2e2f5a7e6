"""Accessibility checks run inside the page, with no library fetched from outside: the rendered
colours, the accessible names and the Tab order, as a screen reader and a keyboard user meet them.

(axe-core would do more, but no package of ours bundles it; these are the WCAG 2.1 AA rules the
team's console can break: 1.4.3 contrast, 1.3.1/4.1.2 names, 2.1.1/2.1.2 keyboard, 2.4.7 focus.)
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

AUDIT_JS = r"""
() => {
  const visible = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && !e.closest("[hidden]"); };
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const blend = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1});
  // The colour behind an element: its own background, else its ancestors', composed down to white.
  const background = e => { const layers = [];
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    return layers.reverse().reduce((under, top) => blend(top, under), {r: 255, g: 255, b: 255, a: 1}); };
  const ratio = (a, b) => { const l1 = lum(a), l2 = lum(b); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); };
  const lowContrast = [];
  for (const e of document.querySelectorAll("body *")) {
    if (!visible(e) || ["SCRIPT", "STYLE", "svg", "OPTION"].includes(e.tagName)) continue;
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const s = getComputedStyle(e);
    const inSvg = e instanceof SVGElement;
    let fg = parse(inSvg ? s.fill : s.color); if (!fg) continue;
    const bg = background(inSvg ? e.ownerSVGElement.parentElement : e);
    fg = blend(fg, bg);
    const r = ratio(fg, bg);
    if (r < 4.5) lowContrast.push(`${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} "${e.textContent.trim().slice(0, 30)}" ${r.toFixed(2)}:1`);
  }
  const name = e => (e.getAttribute("aria-label") || "").trim()
    || (e.getAttribute("aria-labelledby") || "").split(" ").map(id => document.getElementById(id)?.textContent || "").join(" ").trim()
    || [...(e.labels || [])].map(l => l.textContent).join(" ").trim()
    || (["BUTTON", "A", "SUMMARY", "TR"].includes(e.tagName) ? e.textContent.trim() : "") || (e.getAttribute("title") || "").trim();
  const unnamed = [...document.querySelectorAll("input, select, textarea, button, a[href], summary, [tabindex]")]
    .filter(e => visible(e) && e.type !== "hidden" && !name(e)).map(e => e.id || e.outerHTML.slice(0, 60));
  const root = document.documentElement;
  return {lowContrast, unnamed, overflow: root.scrollWidth > root.clientWidth ? root.scrollWidth - root.clientWidth : 0};
}
"""

FOCUSABLE_JS = r"""
() => [...document.querySelectorAll("input, select, textarea, button, a[href], summary, [tabindex]")]
  .filter(e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !e.disabled && e.tabIndex >= 0 && !e.closest("[hidden]"); })
  .map((e, i) => { if (!e.dataset.a11y) e.dataset.a11y = "f" + i + Math.random().toString(36).slice(2, 6); return e.dataset.a11y; })
"""

ACTIVE_JS = r"""
() => { const e = document.activeElement; if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== "none");
  return {id: e.dataset.a11y || null, label: e.id || e.textContent.trim().slice(0, 30), ring}; }
"""


async def audit(page: Page) -> dict[str, Any]:
    """Contrast below 4.5:1, controls without a name, and how far the page runs off the side."""
    result: dict[str, Any] = await page.evaluate(AUDIT_JS)
    return result


async def keyboard_walk(page: Page, limit: int = 400) -> dict[str, Any]:
    """Tab from the top through every control: which were never reached, which showed no focus
    ring, and whether Tab got stuck (the same control twice in a row, or never back to the start)."""
    wanted: list[str] = await page.evaluate(FOCUSABLE_JS)
    await page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    await page.mouse.click(1, 1)  # clicking nothing focusable puts the Tab start at the page's top
    seen: list[str] = []
    no_ring: list[str] = []
    stuck = False
    previous = None
    for _ in range(min(limit, len(wanted) * 2 + 10)):
        await page.keyboard.press("Tab")
        now = await page.evaluate(ACTIVE_JS)
        if now is None:
            if seen:
                break  # past the last control, back to the page: no trap
            continue
        if now["id"] is not None and now["id"] == previous:
            stuck = True
            break
        previous = now["id"]
        if now["id"] in seen:
            break  # wrapped around
        if now["id"] is not None:
            seen.append(now["id"])
        if not now["ring"]:
            no_ring.append(now["label"])
    return {"missed": [w for w in wanted if w not in seen], "no_ring": no_ring, "stuck": stuck, "reached": len(seen)}
