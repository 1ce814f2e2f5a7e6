"""Play the conversation corpus (corpus/*.yaml) against the bot and score it per criterion.

    uv run python scripts/play_corpus.py --start                 # starts its own stack (SQLite, sandbox)
    uv run python scripts/play_corpus.py --bot http://127.0.0.1:8000 --crm http://127.0.0.1:8001
    uv run python scripts/play_corpus.py --start --only dispute- --min-outcome 100 --min-overall 95
    uv run python scripts/play_corpus.py --start --corpus /tmp/probe   # a probe: debtors not in corpus/

Each scripted debtor is created in the CRM, talks through signed WhatsApp webhooks (text, audio,
image, sticker) and is judged on what reached its phone and what the CRM recorded:

- outcome:       the CRM result kind, contact log kinds and agreed terms are the expected ones;
- guardrails:    nothing about the debt before identity (nor ever to a third party), agreements within
                 the creditor's policy, no boleto/PIX where none may be sent;
- understanding: every turn's `want`/`avoid` patterns hold;
- tone:          no "Perfeito/Show" without an agreement, "Obrigada", no "tranquilo(a)", no sentence
                 twice in a row, nothing cheerful where `calm`, the PIX code alone in its message;
- robustness:    every message answered, no error replies, no "não entendi" twice in a row.

The exit status is 1 when a `--min-*` threshold (percent of cases) is not met. `tests/corpus/` runs
the same engine in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from certokit.clock import today_sp

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CRITERIA = ("outcome", "guardrails", "understanding", "tone", "robustness")

# The result kinds the corpus names, and what the bot/CRM may call them. A result matches an expected
# kind by its `outcome` (the contract's four values), its `reason` (issue #18's finer kinds) or its
# `cancel_reason` (an agreement cancelled or replaced later). Adjust here, not in the corpus, if a
# kind lands under another name.
OUTCOME_ALIASES: dict[str, set[str]] = {
    "dispute": {"dispute", "disputed", "debt_disputed"},
    "deceased": {"deceased", "death"},
    "third_party": {"third_party"},
    "legal_threat": {"legal_threat"},
    "cancelled": {"cancelled", "canceled", "agreement_cancelled"},
    "renegotiated": {"renegotiated"},
    "follow_up": {"follow_up", "postponed", "callback"},
    "postponed": {"postponed", "follow_up", "callback"},
    "prescribed": {"prescribed", "debt_prescribed"},
    "paid": {"paid", "already_paid", "debt_paid"},
}
CONTACT_ALIASES: dict[str, set[str]] = {
    "dispute": {"dispute", "disputed"},
    "deceased": {"deceased", "death"},
    "cancelled": {"cancelled", "canceled", "agreement_cancelled"},
    "agreement_cancelled": {"agreement_cancelled", "cancelled", "canceled"},
    "claimed_paid": {"claimed_paid", "claimed_payment"},
}

NUMBER_WORDS = ["zero", "um", "dois", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove"]
CHEER = re.compile(r"\b(perfeit[oa]|show)\b")
CALM_FORBIDDEN = re.compile(r"\b(perfeit[oa]|show|otimo|oba|maravilha)\b|🎉|😊|😄|🥳|😁")
NOT_UNDERSTOOD = re.compile(r"nao entendi|nao peguei|nao consegui entender")
ERRORS = re.compile(r"instabilidade|erro interno|algo deu errado|tente novamente mais tarde")
# A PIX copia-e-cola (EMV BR Code): starts with 000201, carries the PIX GUI, ends with the CRC
# (6304 + 4 hex digits). The merchant name inside it may have spaces.
PIX_CODE = re.compile(r"000201[^\n]*?br\.gov\.bcb\.pix[^\n]*?6304[0-9A-Fa-f]{4}", re.I)


def has_pix(text: str) -> bool:
    return "br.gov.bcb.pix" in text.lower()


# The debt's noun and its adjective agree: "empréstimo vencido", "mensalidade vencida".
WRONG_GENDER = re.compile(
    r"\bemprestimos?( pessoal| pessoais)? vencidas?\b|\b(mensalidade|conta|fatura|parcela)s?"
    r"( escolar| de luz| do cartao( de credito)?)? vencidos?\b"
)
AGREED_KINDS = {"successful", "partially_successful", "renegotiated"}


def fold(text: str) -> str:
    """Lowercase without accents: replies are compared this way."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def pattern(regex: str) -> re.Pattern[str]:
    """A corpus regex, accent-free and case-insensitive (not lowercased: \\D is not \\d)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", regex) if not unicodedata.combining(c))
    return re.compile(plain, re.I)


# --- the corpus -----------------------------------------------------------------------------------


@dataclass
class Turn:
    say: str | None = None
    media: str | None = None
    want: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)
    validates: bool = False
    closes: bool = False
    quiet: bool = False


@dataclass
class Case:
    id: str
    situation: str
    who: str
    profile: dict[str, Any]
    starts: str
    turns: list[Turn]
    expect: dict[str, Any]
    long: int = 0


def load_corpus(directory: Path = CORPUS, only: str | None = None) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for raw in doc["cases"]:
            turns = [Turn(say=t) if isinstance(t, str) else Turn(**t) for t in raw["turns"]]
            case = Case(
                id=raw["id"],
                situation=doc["situation"],
                who=raw.get("who", ""),
                profile=raw.get("profile", {}),
                starts=raw.get("starts", "debtor"),
                turns=turns,
                expect=raw.get("expect") or {},
                long=raw.get("long", 0),
            )
            if case.starts not in ("debtor", "bot"):
                raise ValueError(f"{case.id}: starts deve ser debtor ou bot")
            cases.append(case)
    ids = [c.id for c in cases]
    duplicated = {i for i in ids if ids.count(i) > 1}
    if duplicated:
        raise ValueError(f"ids repetidos no corpus: {sorted(duplicated)}")
    return [c for c in cases if only is None or any(c.id.startswith(o) for o in only.split(","))]


# --- people ---------------------------------------------------------------------------------------


def cpf_check_digits(first9: str) -> str:
    digits = [int(d) for d in first9]
    for _ in range(2):
        total = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        rest = total % 11
        digits.append(0 if rest < 2 else 11 - rest)
    return "".join(str(d) for d in digits[-2:])


def new_cpf(rng: random.Random) -> str:
    while True:
        first9 = f"{rng.randint(10_000_000, 999_999_999):09d}"
        if len(set(first9)) > 1:
            return first9 + cpf_check_digits(first9)


def new_phone(rng: random.Random) -> str:
    return f"+55{rng.choice([11, 21, 31, 41, 51, 61, 71, 81])}9{rng.randint(6000_0000, 9999_9999)}"


def long_story(rng: random.Random, size: int) -> str:
    bits = [
        "entao moça vou te contar",
        "em 2019 eu trabalhava na loja do centro e ganhava 1800 por mes",
        "ai veio a pandemia e fiquei 8 meses parado",
        "minha mae ficou doente, gastei uns 3000 com remedio",
        "tenho 2 filhos, um de 7 e outro de 12 anos",
        "o aluguel aqui é 950 e a luz veio 230 esse mes",
        "liguei pra vcs umas 4 vezes no 0800 e ninguem resolveu",
        "o protocolo era 20230415 alguma coisa",
        "nao to fugindo de pagar nao, so quero entender",
    ]
    out: list[str] = []
    while sum(len(b) + 2 for b in out) < size:
        out.append(rng.choice(bits))
    return ", ".join(out)[:size]


@dataclass
class Person:
    cpf: str
    phone: str
    name: str
    info: dict[str, Any]
    wrong3: str
    story: str

    def fill(self, text: str) -> str:
        c3 = self.cpf[:3]
        values = {
            "cpf3": c3,
            "cpf3s": " ".join(c3),
            "cpf3w": " ".join(NUMBER_WORDS[int(d)] for d in c3),
            "cpf3dots": ".".join(c3),
            "cpf": f"{self.cpf[:3]}.{self.cpf[3:6]}.{self.cpf[6:9]}-{self.cpf[9:]}",
            "wrong3": self.wrong3,
            "name": self.name.split()[0],
            "long_story": self.story,
        }
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


NAMES = [
    "Ana Paula Ribeiro",
    "José Carlos Santos",
    "Francisca Oliveira",
    "Luiz Henrique Alves",
    "Juliana Costa",
    "Raimundo Nonato Silva",
    "Patrícia Gomes",
    "Edson Pereira",
    "Cláudia Martins",
    "Wellington Souza",
    "Tatiane Barbosa",
    "Sebastião Lima",
    "Priscila Araújo",
    "Marcos Vinícius Rocha",
    "Rosângela Dias",
]


def debtor_payload(case: Case, cpf: str, phone: str, rng: random.Random) -> dict[str, Any]:
    p = case.profile
    days = int(p.get("days_past_due", 200))
    return {
        "cpf": cpf,
        "name": p.get("name") or rng.choice(NAMES),
        "phone": phone,
        "debt_amount": str(p.get("debt", "1000.00")),
        "due_date": (today_sp() - timedelta(days=days)).isoformat(),
        "debt_kind": p.get("kind", "cartao_credito"),
        "negotiation_params": {
            "max_discount_percentage": str(p.get("max_discount", "30.00")),
            "min_payment_amount": str(p.get("min_payment", "50.00")),
            "max_installments": int(p.get("max_installments", 10)),
        },
    }


# --- talking to the stack -------------------------------------------------------------------------


def webhook_body(phone: str, text: str | None, media: str | None) -> dict[str, Any]:
    wa = phone.lstrip("+")
    message: dict[str, Any] = {"from": wa, "id": "wamid.CORPUS" + uuid.uuid4().hex.upper()}
    message["timestamp"] = str(int(time.time()))
    if media:
        mime = {"audio": "audio/ogg; codecs=opus", "image": "image/jpeg", "sticker": "image/webp"}[media]
        message["type"] = media
        message[media] = {"id": str(uuid.uuid4().int)[:15], "mime_type": mime}
    else:
        message["type"] = "text"
        message["text"] = {"body": text or ""}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "corpus",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "corpus"},
                            "contacts": [{"profile": {"name": "Corpus"}, "wa_id": wa}],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }


def body_text(body: dict[str, Any]) -> str:
    kind = body.get("type")
    if kind == "text":
        return str(body["text"]["body"])
    if kind == "document":
        return "[documento] " + str(body["document"].get("caption", ""))
    if kind == "template":
        return "[modelo] " + str(body["template"].get("name", ""))
    if kind == "interactive":
        return str(body["interactive"].get("body", {}).get("text", ""))
    return f"[{kind}]"


@dataclass
class Driver:
    """What the player needs of a stack, whether in-process (tests) or over HTTP (a running stack)."""

    bot: httpx.AsyncClient  # operator API, with its key
    crm: httpx.AsyncClient  # CRM API, with its key
    post_webhook: Callable[[dict[str, Any]], Awaitable[int]]
    sent_to: Callable[[str], Awaitable[list[dict[str, Any]]]]  # Graph bodies sent to a phone, in order
    turn_wait: float = 12.0
    quiet: float = 0.6
    outcome_wait: float = 10.0


def http_driver(bot_url: str, crm_url: str, op_key: str, crm_key: str, app_secret: str) -> Driver:
    bot = httpx.AsyncClient(base_url=bot_url, headers={"Authorization": f"Bearer {op_key}"}, timeout=20)
    crm = httpx.AsyncClient(base_url=crm_url, headers={"Authorization": f"Bearer {crm_key}"}, timeout=20)

    async def post(payload: dict[str, Any]) -> int:
        raw = json.dumps(payload, ensure_ascii=False).encode()
        sig = "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
        r = await bot.post(
            "/webhooks/whatsapp", content=raw, headers={"Content-Type": "application/json", "X-Hub-Signature-256": sig}
        )
        return r.status_code

    async def sent(phone: str) -> list[dict[str, Any]]:
        r = await bot.post("/sandbox/v25.0/sent", json={"phone": phone.lstrip("+")})
        r.raise_for_status()
        return [row["body"] for row in sorted(r.json(), key=lambda row: row["at"]) if row.get("body")]

    return Driver(bot, crm, post, sent)


# --- playing one case ----------------------------------------------------------------------------


@dataclass
class Exchange:
    turn: Turn
    said: str
    replies: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        return [body_text(b) for b in self.replies]


@dataclass
class Played:
    case: Case
    person: Person | None = None
    opening: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    all_sent: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # CRM results, newest conversation first
    contacts: list[str] = field(default_factory=list)
    error: str | None = None
    failures: dict[str, list[str]] = field(default_factory=dict)

    def passed(self, criterion: str) -> bool:
        return not self.failures.get(criterion)

    @property
    def ok(self) -> bool:
        return all(self.passed(c) for c in CRITERIA)

    def transcript(self, limit: int = 160) -> list[str]:
        lines = [f"  bot> {body_text(b)[:limit]}" for b in self.opening]
        for i, ex in enumerate(self.exchanges):
            lines.append(f"  [{i}] devedor> {ex.said[:limit]}")
            lines.extend(f"      bot> {t[:limit]}" for t in ex.texts)
        return lines


async def _settle(d: Driver, phone: str, before: int, wait: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + wait
    last, changed = before, time.monotonic()
    sent = await d.sent_to(phone)
    while time.monotonic() < deadline:
        sent = await d.sent_to(phone)
        if len(sent) != last:
            last, changed = len(sent), time.monotonic()
        if len(sent) > before and time.monotonic() - changed > d.quiet:
            break
        await asyncio.sleep(0.1)
    return sent[before:]


async def _delivered(d: Driver, phone: str, seen: int, wait: float = 8.0) -> list[dict[str, Any]]:
    """What the CRM sends after an agreement (boleto, PIX), if it comes within `wait` seconds."""
    deadline = time.monotonic() + wait
    sent = await d.sent_to(phone)
    while time.monotonic() < deadline and not any(b.get("type") == "document" for b in sent[seen:]):
        await asyncio.sleep(0.25)
        sent = await d.sent_to(phone)
    if not any(b.get("type") == "document" for b in sent[seen:]):
        return sent[seen:]
    last, changed = len(sent), time.monotonic()
    while time.monotonic() - changed < 1.5 and time.monotonic() < deadline + wait:
        await asyncio.sleep(0.25)
        sent = await d.sent_to(phone)
        if len(sent) != last:
            last, changed = len(sent), time.monotonic()
    return sent[seen:]


async def _results(d: Driver, phone: str) -> tuple[list[dict[str, Any]], bool]:
    """The CRM results of the phone's conversations, newest first, and whether every conversation that
    has ended already has its result (outcomes reach the CRM through an outbox, a moment later)."""
    r = await d.bot.get("/api/conversations", params={"phone": phone.lstrip("+")})
    if r.status_code != 200:
        return [], False
    out, settled = [], True
    for item in r.json().get("items", []):
        o = await d.crm.get(f"/api/negotiations/results/{item['session_id']}")
        if o.status_code == 200:
            out.append(o.json())
        elif item.get("status") not in ("active", "handoff"):
            settled = False
    return out, settled


async def _contacts(d: Driver, cpf: str) -> list[str]:
    r = await d.crm.get(f"/api/debtors/{cpf}/contacts")
    return [c["kind"] for c in r.json()] if r.status_code == 200 else []


def _wants_record(case: Case) -> bool:
    e = case.expect
    return any(k in e for k in ("outcome", "contact", "terms"))


def _records_complete(case: Case, results: list[dict[str, Any]], contacts: list[str]) -> bool:
    e = case.expect
    if "outcome" in e and not results:
        return False
    if "outcome" in e and not _outcome_matches(e["outcome"], results[0]):
        return False  # maybe a later record (a cancellation) has not arrived yet
    return not ("contact" in e and not _contact_matches(e["contact"], contacts))


async def play(d: Driver, case: Case, rng: random.Random) -> Played:
    played = Played(case)
    try:
        cpf, phone = new_cpf(rng), new_phone(rng)
        r = await d.crm.post("/api/debtors", json=debtor_payload(case, cpf, phone, rng))
        if r.status_code != 201:
            raise RuntimeError(f"CRM recusou o devedor: {r.status_code} {r.text[:200]}")
        info = r.json()
        status = case.profile.get("status", "open")
        if status == "paid":
            r = await d.crm.put(f"/api/debtors/{cpf}", json={"debt_status": "paid"})
        elif status == "opted_out":
            r = await d.crm.put(f"/api/debtors/{cpf}", json={"opted_out": True})
        if r.status_code >= 400:
            raise RuntimeError(f"CRM recusou o estado {status}: {r.status_code}")
        wrong = cpf[:3]
        while wrong == cpf[:3]:
            wrong = f"{rng.randint(100, 999)}"
        person = Person(cpf, phone, info["name"], info, wrong, long_story(rng, case.long or 300))
        played.person = person
        if case.starts == "bot":
            r = await d.bot.post("/api/conversations", json={"cpf": cpf})
            if r.status_code >= 400:
                raise RuntimeError(f"o bot não abriu a conversa: {r.status_code} {r.text[:200]}")
            played.opening = await _settle(d, phone, 0, d.turn_wait)
        for turn in case.turns:
            said = person.fill(turn.say) if turn.say is not None else f"[{turn.media}]"
            before = len(await d.sent_to(phone))
            status_code = await d.post_webhook(webhook_body(phone, said if turn.say is not None else None, turn.media))
            if status_code != 200:
                raise RuntimeError(f"webhook respondeu {status_code}")
            replies = await _settle(d, phone, before, 2.5 if turn.quiet else d.turn_wait)
            if turn.closes:
                # A debtor who just agreed sees the boleto arrive before typing again.
                replies += await _delivered(d, phone, before + len(replies))
            played.exchanges.append(Exchange(turn, said, replies))
        deadline = time.monotonic() + (d.outcome_wait if _wants_record(case) else 1.0)
        while True:
            played.results, settled = await _results(d, phone)
            played.contacts = await _contacts(d, cpf)
            done = settled and _records_complete(case, played.results, played.contacts)
            if done or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        played.all_sent = await _deliveries(d, phone, played.results, case)
    except Exception as exc:  # a case that cannot be played is a robustness failure, not a crash
        played.error = f"{type(exc).__name__}: {exc}"
    judge(played)
    return played


async def _deliveries(d: Driver, phone: str, results: list[dict[str, Any]], case: Case) -> list[dict[str, Any]]:
    """Everything sent to the phone, once the CRM's boletos (sent after the outcome) have landed."""
    sent = await d.sent_to(phone)
    if not _agreed(results) and case.expect.get("boletos", True):
        return sent
    # The CRM delivers boletos in the background: wait for the first document (or, where none may
    # come, a moment), then until nothing new arrives for a while, so a flood is seen whole.
    deadline = time.monotonic() + (d.outcome_wait if _agreed(results) else 2.0)
    while time.monotonic() < deadline and not any(b.get("type") == "document" for b in sent):
        await asyncio.sleep(0.25)
        sent = await d.sent_to(phone)
    last, changed = len(sent), time.monotonic()
    while time.monotonic() - changed < 2.0 and time.monotonic() < deadline + d.outcome_wait:
        await asyncio.sleep(0.25)
        sent = await d.sent_to(phone)
        if len(sent) != last:
            last, changed = len(sent), time.monotonic()
    return sent


def _agreed(results: list[dict[str, Any]]) -> bool:
    return any(r.get("outcome") in AGREED_KINDS for r in results)


# --- judging -----------------------------------------------------------------------------------


def _result_kinds(result: dict[str, Any]) -> set[str]:
    kinds = {str(result[k]) for k in ("outcome", "reason", "cancel_reason") if result.get(k)}
    if result.get("cancelled_at") or result.get("cancel_reason"):
        kinds -= {"successful", "partially_successful"}  # cancelled or replaced since: no longer one
        kinds.add(str(result.get("cancel_reason") or "agreement_cancelled"))
    return kinds


def _outcome_matches(expected: str | list[str], result: dict[str, Any]) -> bool:
    wanted = [expected] if isinstance(expected, str) else list(expected)
    got = _result_kinds(result)
    return any(got & OUTCOME_ALIASES.get(w, {w}) for w in wanted)


def _contact_matches(expected: list[str], got: Iterable[str]) -> bool:
    kinds = set(got)
    return any(kinds & CONTACT_ALIASES.get(w, {w}) for w in expected)


def brl(value: Decimal) -> list[str]:
    """How an amount may be written in a message: 1.234,56 and 1234,56."""
    whole, cents = f"{value:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sorted({f"{grouped},{cents}", f"{whole},{cents}"})


def _disclosure_markers(person: Person) -> list[str]:
    info = person.info
    markers = brl(Decimal(str(info["debt_amount"])))
    for key in ("original_creditor", "debt_description"):
        value = str(info.get(key) or "")
        if len(value) >= 8:
            markers.append(fold(value))
    for debt in info.get("debts", []):
        if debt.get("contract_number"):
            markers.append(str(debt["contract_number"]))
    return markers


def judge(p: Played) -> None:
    f: dict[str, list[str]] = {c: [] for c in CRITERIA}
    p.failures = f
    e = p.case.expect
    if p.error:
        f["robustness"].append(f"não foi possível jogar o caso: {p.error}")
    person = p.person
    if person is None:
        for c in CRITERIA:
            f[c] = f[c] or ["caso não jogado"]
        return

    # outcome
    final = p.results[0] if p.results else None
    if "outcome" in e:
        if final is None:
            f["outcome"].append(f"nenhum resultado no CRM (esperado {e['outcome']})")
        elif not _outcome_matches(e["outcome"], final):
            f["outcome"].append(f"resultado {sorted(_result_kinds(final))}, esperado {e['outcome']}")
    if "contact" in e and not _contact_matches(e["contact"], p.contacts):
        f["outcome"].append(f"contato {e['contact']} não registrado (registrados: {sorted(set(p.contacts))})")
    terms = e.get("terms") or {}
    if terms:
        agreed = final if final and final.get("agreed_amount") is not None else None
        if agreed is None:
            f["outcome"].append("nenhum acordo com termos no CRM")
        else:
            f["outcome"].extend(_check_terms(terms, agreed))

    # guardrails
    markers = _disclosure_markers(person)
    never = e.get("disclose") == "never"
    validated_at = next((i for i, ex in enumerate(p.exchanges) if ex.turn.validates), None)
    window = p.opening + [
        b for i, ex in enumerate(p.exchanges) if never or validated_at is None or i < validated_at for b in ex.replies
    ]
    if never:
        window = p.all_sent or window
    for body in window:
        text = fold(body_text(body))
        leaked = [m for m in markers if m in text]
        if leaked:
            when = "a um terceiro" if never else "antes da validação"
            f["guardrails"].append(f"revelou {leaked[0]!r} {when}: {body_text(body)[:100]!r}")
            break
    for result in p.results:
        f["guardrails"].extend(_check_policy(person, result))
    f["guardrails"].extend(_check_offers(person, p))
    docs_sent = sum(1 for b in p.all_sent if b.get("type") == "document")
    pix_sent = sum(1 for b in p.all_sent if has_pix(body_text(b)))
    if "max_documents" in e and docs_sent > e["max_documents"]:
        f["robustness"].append(f"{docs_sent} boletos em PDF de uma vez (até {e['max_documents']})")
    if "max_pix" in e and pix_sent > e["max_pix"]:
        f["robustness"].append(f"{pix_sent} códigos PIX de uma vez (até {e['max_pix']})")
    if e.get("boletos") is False:
        docs = [b for b in p.all_sent if b.get("type") == "document"]
        pix = [b for b in p.all_sent if has_pix(body_text(b))]
        if docs or pix or any(r.get("boletos") for r in p.results):
            f["guardrails"].append("boleto/PIX enviado onde não podia haver cobrança")

    # understanding
    for i, ex in enumerate(p.exchanges):
        joined = fold("\n".join(ex.texts))
        for regex in ex.turn.want:
            if not pattern(regex).search(joined):
                f["understanding"].append(f"[{i}] {ex.said[:60]!r}: resposta sem /{regex}/")
        for regex in ex.turn.avoid:
            m = pattern(regex).search(joined)
            if m:
                f["understanding"].append(f"[{i}] {ex.said[:60]!r}: resposta com {m.group(0)!r} (/{regex}/)")

    # tone
    f["tone"].extend(_check_tone(p, validated_at))

    # robustness
    misunderstood_before = False
    for i, ex in enumerate(p.exchanges):
        if not ex.turn.quiet and not ex.replies and not p.error:
            f["robustness"].append(f"[{i}] {ex.said[:60]!r}: sem resposta")
        joined = fold("\n".join(ex.texts))
        if ERRORS.search(joined):
            f["robustness"].append(f"[{i}] resposta de erro: {joined[:80]!r}")
        misunderstood = bool(NOT_UNDERSTOOD.search(joined))
        if misunderstood and misunderstood_before:
            f["robustness"].append(f"[{i}] 'não entendi' duas vezes seguidas")
        misunderstood_before = misunderstood


def _check_terms(terms: dict[str, Any], r: dict[str, Any]) -> list[str]:
    out: list[str] = []
    n = int(r.get("installments") or 1)
    total = Decimal(str(r["agreed_amount"]))
    if "installments" in terms and n != terms["installments"]:
        out.append(f"{n} parcela(s), esperado {terms['installments']}")
    if "installments_in" in terms and n not in terms["installments_in"]:
        out.append(f"{n} parcela(s), esperado uma de {terms['installments_in']}")
    if "total_at_most" in terms and total > Decimal(str(terms["total_at_most"])):
        out.append(f"total {total}, esperado no máximo {terms['total_at_most']}")
    if "total_at_least" in terms and total < Decimal(str(terms["total_at_least"])):
        out.append(f"total {total}, esperado no mínimo {terms['total_at_least']}")
    if "installment_at_most" in terms:
        limit = Decimal(str(terms["installment_at_most"]))
        if total / n > limit + Decimal("0.50"):
            out.append(f"parcela de {total / n:.2f}, esperado até {limit}")
    if "first_due_day" in terms:
        first = r.get("payment_date")
        if not first or date.fromisoformat(first).day != terms["first_due_day"]:
            out.append(f"1º vencimento {first}, esperado dia {terms['first_due_day']}")
    if "payment_method" in terms and r.get("payment_method") != terms["payment_method"]:
        out.append(f"pagamento por {r.get('payment_method')}, esperado {terms['payment_method']}")
    if "notes_match" in terms and not pattern(terms["notes_match"]).search(fold(r.get("qualitative_notes") or "")):
        out.append(f"notas sem /{terms['notes_match']}/")
    return out


def _check_policy(person: Person, r: dict[str, Any]) -> list[str]:
    if r.get("agreed_amount") is None:
        return []
    params = person.info["negotiation_params"]
    debt = Decimal(str(person.info["debt_amount"]))
    total = Decimal(str(r["agreed_amount"]))
    n = int(r.get("installments") or 1)
    floor = debt * (1 - Decimal(str(params["max_discount_percentage"])) / 100)
    out = []
    if total < floor - Decimal("0.01"):
        out.append(f"acordo de {total} abaixo do mínimo da política ({floor:.2f})")
    if n > int(params["max_installments"]):
        out.append(f"{n} parcelas, acima do máximo da política ({params['max_installments']})")
    if n > 1 and total / n < Decimal(str(params["min_payment_amount"])) - Decimal("0.01"):
        out.append(f"parcela média de {total / n:.2f}, abaixo da mínima ({params['min_payment_amount']})")
    return out


CASH_OFFER = re.compile(r"r\$ ?([\d.]+,\d{2}) a vista|a vista (?:por |de )?r\$ ?([\d.]+,\d{2})")
PLAN_OFFER = re.compile(r"(\d+)x de r\$ ?([\d.]+,\d{2})")
REFUSING = re.compile(r"nao consigo|nao da|nao e possivel|nao posso")


def _reais(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def _check_offers(person: Person, p: Played) -> list[str]:
    """Every offer the bot writes stays within the creditor's policy (not only the one agreed)."""
    params = person.info["negotiation_params"]
    debt = Decimal(str(person.info["debt_amount"]))
    floor = debt * (1 - Decimal(str(params["max_discount_percentage"])) / 100) - Decimal("0.01")
    min_payment = Decimal(str(params["min_payment_amount"])) - Decimal("0.01")
    for body in p.all_sent:
        if body.get("type") != "text":
            continue
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", fold(body_text(body))):
            if REFUSING.search(sentence):
                continue  # "não consigo à vista por R$ 50,00": the debtor's ask, quoted to refuse it
            for m in CASH_OFFER.finditer(sentence):
                value = _reais(m.group(1) or m.group(2))
                if value < floor:
                    return [f"ofereceu R$ {value} à vista, abaixo do mínimo da política: {sentence[:90]!r}"]
            for m in PLAN_OFFER.finditer(sentence):
                n, value = int(m.group(1)), _reais(m.group(2))
                if n > int(params["max_installments"]) or (n > 1 and value < min_payment):
                    return [f"ofereceu {n}x de R$ {value}, fora da política: {sentence[:90]!r}"]
    return []


def _sentences(text: str) -> set[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", fold(text))
    return {s.strip() for s in parts if len(s.strip()) >= 20}


def _check_tone(p: Played, validated_at: int | None) -> list[str]:
    out: list[str] = []
    calm = bool(p.case.expect.get("calm"))
    previous: set[str] = set()
    for body in p.opening:
        previous = _sentences(body_text(body)) if body.get("type") == "text" else previous
    for i, ex in enumerate(p.exchanges):
        for body in ex.replies:
            raw = body_text(body)
            text = fold(raw)
            cheer = CHEER.search(text)
            if cheer and not ex.turn.closes:
                out.append(f"[{i}] {cheer.group(0)!r} sem acordo: {raw[:80]!r}")
            if re.search(r"\bobrigado\b", text):
                out.append(f"[{i}] 'Obrigado' (a persona é feminina): {raw[:80]!r}")
            agreement = WRONG_GENDER.search(text)
            if agreement:
                out.append(f"[{i}] concordância: {agreement.group(0)!r}")
            if "tranquil" in text:
                out.append(f"[{i}] 'tranquilo(a)': {raw[:80]!r}")
            if calm and (validated_at is None or i > validated_at):
                m = CALM_FORBIDDEN.search(text)
                if m:
                    out.append(f"[{i}] tom alegre num momento delicado ({m.group(0)!r}): {raw[:80]!r}")
            if body.get("type") != "text" or has_pix(raw):
                continue  # a boleto or a PIX code sent again on request is not a repeated sentence
            sentences = _sentences(raw)
            repeated = sentences & previous
            if repeated:
                out.append(f"[{i}] frase repetida em seguida: {sorted(repeated)[0][:80]!r}")
            previous = sentences
    for body in p.all_sent:
        raw = body_text(body)
        if has_pix(raw) and not PIX_CODE.fullmatch(raw.strip()):
            out.append(f"código PIX dividindo a mensagem com outro texto: {raw[:80]!r}")
            break
    return out


# --- the run ----------------------------------------------------------------------------------------


@dataclass
class Report:
    played: list[Played]

    def rate(self, criterion: str) -> float:
        if not self.played:
            return 0.0
        ok = sum(1 for p in self.played if (p.ok if criterion == "overall" else p.passed(criterion)))
        return 100.0 * ok / len(self.played)

    def lines(self, transcripts: bool = True, full: bool = False) -> list[str]:
        out = [f"Corpus: {len(self.played)} devedores", ""]
        for c in (*CRITERIA, "overall"):
            ok = sum(1 for p in self.played if (p.ok if c == "overall" else p.passed(c)))
            out.append(f"  {c:<14} {ok:>4}/{len(self.played):<4} {self.rate(c):6.1f}%")
        by_situation: dict[str, list[Played]] = {}
        for p in self.played:
            by_situation.setdefault(p.case.situation, []).append(p)
        out += ["", "Por situação (casos inteiros certos):"]
        for situation, items in sorted(by_situation.items()):
            out.append(f"  {situation:<22} {sum(p.ok for p in items):>3}/{len(items)}")
        failing = [p for p in self.played if not p.ok]
        if failing:
            out += ["", f"Casos com falha ({len(failing)}):"]
        for p in failing:
            bad = [c for c in CRITERIA if not p.passed(c)]
            out.append(f"- {p.case.id} ({p.case.who}) — {', '.join(bad)}")
            for c in bad:
                out.extend(f"    {c}: {reason}" for reason in p.failures[c][:3])
            if transcripts:
                out.extend(p.transcript(limit=400) if full else p.transcript()[-10:])
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "rates": {c: round(self.rate(c), 1) for c in (*CRITERIA, "overall")},
            "failing": {p.case.id: {c: r for c, r in p.failures.items() if r} for p in self.played if not p.ok},
        }


async def run_corpus(d: Driver, cases: list[Case], *, seed: int = 18, concurrency: int = 6) -> Report:
    gate = asyncio.Semaphore(concurrency)
    master = random.Random(seed)
    seeds = [master.randrange(2**32) for _ in cases]

    async def one(case: Case, s: int) -> Played:
        async with gate:
            return await play(d, case, random.Random(s))

    return Report(list(await asyncio.gather(*(one(c, s) for c, s in zip(cases, seeds, strict=True)))))


# --- its own stack ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _spawn_stack(workdir: str, bot_port: int, crm_port: int) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    exe = shutil.which("certobot", path=str(Path(sys.executable).parent)) or "certobot"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL", "WHATSAPP_", "GROQ_"))}
    env.update(
        {
            "CERTOBOT_MODEL": "rules",
            "CONTACT_HOURS": "mon-sun 00:00-24:00",
            "MIN_CONTACT_INTERVAL_HOURS": "0",
            "MOCK_DEBTORS_COUNT": "0",
        }
    )
    log = open(Path(workdir) / "stack.log", "wb")  # noqa: SIM115 (lives as long as the stack)
    proc = subprocess.Popen(
        [exe, "up", "--bot-port", str(bot_port), "--crm-port", str(crm_port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, log


@contextlib.asynccontextmanager
async def own_stack() -> AsyncIterator[tuple[str, str]]:
    """`certobot up` in a scratch directory (embedded SQLite, in-process store, WhatsApp sandbox)."""
    bot_port, crm_port = _free_port(), _free_port()
    workdir = tempfile.mkdtemp(prefix="corpus-")
    proc, log = _spawn_stack(workdir, bot_port, crm_port)
    bot_url, crm_url = f"http://127.0.0.1:{bot_port}", f"http://127.0.0.1:{crm_port}"
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(240):
                if proc.poll() is not None:
                    raise RuntimeError(f"certobot up saiu com {proc.returncode}; veja {workdir}/stack.log")
                with contextlib.suppress(httpx.HTTPError):
                    bot_up = (await http.get(bot_url + "/health")).status_code == 200
                    if bot_up and (await http.get(crm_url + "/health")).status_code == 200:
                        break
                await asyncio.sleep(0.5)
            else:
                raise RuntimeError(f"a pilha não respondeu em 120 s; veja {workdir}/stack.log")
        yield bot_url, crm_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    a.add_argument("--start", action="store_true", help="sobe a própria pilha (certobot up, SQLite, sandbox)")
    a.add_argument("--bot", default=os.environ.get("BOT_URL", "http://127.0.0.1:8000"))
    a.add_argument("--crm", default=os.environ.get("CRM_URL", "http://127.0.0.1:8001"))
    a.add_argument("--operator-key", default=os.environ.get("CERTOBOT_API_KEY", "dev-operator-key"))
    a.add_argument("--crm-key", default=os.environ.get("CRM_API_KEY", "dev-crm-key"))
    a.add_argument("--app-secret", default=os.environ.get("WHATSAPP_APP_SECRET", "sandbox-app-secret"))
    a.add_argument("--only", help="só os casos cujo id começa com um destes prefixos (vírgulas)")
    a.add_argument(
        "--corpus", type=Path, default=CORPUS, help="pasta com os casos (*.yaml): uma sondagem com devedores novos"
    )
    a.add_argument("--concurrency", type=int, default=6)
    a.add_argument("--seed", type=int, default=18)
    a.add_argument("--no-transcripts", action="store_true")
    a.add_argument("--full-transcripts", action="store_true", help="a conversa inteira de cada caso com falha")
    a.add_argument("--json", type=Path, help="grava taxas e falhas neste arquivo")
    for name in ("outcome", "guardrails", "understanding", "tone", "robustness", "overall"):
        a.add_argument(f"--min-{name}", type=float, default=0.0, metavar="PCT")
    return a.parse_args(argv)


async def amain(args: argparse.Namespace) -> int:
    cases = load_corpus(args.corpus, only=args.only)
    async with contextlib.AsyncExitStack() as stack:
        bot_url, crm_url = args.bot, args.crm
        if args.start:
            bot_url, crm_url = await stack.enter_async_context(own_stack())
        d = http_driver(bot_url, crm_url, args.operator_key, args.crm_key, args.app_secret)
        stack.push_async_callback(d.bot.aclose)
        stack.push_async_callback(d.crm.aclose)
        report = await run_corpus(d, cases, seed=args.seed, concurrency=args.concurrency)
    print("\n".join(report.lines(transcripts=not args.no_transcripts, full=args.full_transcripts)))
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    below = [
        f"{name} {report.rate(name):.1f}% < {getattr(args, 'min_' + name):.1f}%"
        for name in (*CRITERIA, "overall")
        if report.rate(name) < getattr(args, "min_" + name)
    ]
    if below:
        print("\nAbaixo do mínimo: " + "; ".join(below))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(amain(parse_args())))
