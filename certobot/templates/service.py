"""Editing the bot's texts: validation, versions, the preview with a sample debtor, and the audit trail."""

from __future__ import annotations

import re
import string
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from certobot.config import BotSettings
from certobot.operators.roles import Principal
from certobot.operators.service import audit
from certobot.templates import repository as repo
from certobot.templates.active import join_variants, split_variants
from certobot.templates.catalogue import BY_KEY, PLACEHOLDERS, SPECS, Spec
from certobot.templates.models import TemplateVersion
from certobot.templates.schemas import (
    Placeholder,
    PreviewOut,
    TemplateDetail,
    TemplateIn,
    TemplateOut,
    VersionOut,
)
from certokit.errors import Conflict, Invalid, NotFound

_NAME = re.compile(r"[a-z0-9_]+")
SAMPLE_DEBTOR = "Maria Aparecida Souza"


class TemplateNotFound(NotFound):
    detail = "Modelo de texto não encontrado."


class TemplateInvalid(Invalid):
    detail = "Texto do modelo inválido."


class TemplateStale(Conflict):
    detail = "Outra pessoa salvou este modelo enquanto você editava: recarregue e confira antes de salvar."


class VersionNotFound(NotFound):
    detail = "Essa versão do modelo não existe."


def spec_of(key: str) -> Spec:
    spec = BY_KEY.get(key)
    if spec is None:
        raise TemplateNotFound(f"Não existe modelo de texto com a chave “{key[:40]}”.")
    return spec


def default_body(spec: Spec, settings: BotSettings) -> str:
    if spec.phrases is not None:
        return join_variants(spec.phrases.defaults)
    name: str = getattr(settings, spec.setting or "")
    return name


def sample(settings: BotSettings, today: date) -> dict[str, str]:
    """A debtor made up for the preview: every placeholder filled as the code would fill it."""
    first = SAMPLE_DEBTOR.split()[0]
    return {
        "creditor": settings.creditor_name,
        "cnpj": settings.creditor_cnpj,
        "left": "2",
        "s": "s",
        "name": first,
        "first_name": first,
        "who": f", {first}",
        "hi": f"Oi, {first}, tudo bem?",
        "what": "da parcela 2 de 5",
        "amount": "R$ 150,00",
        "missing": "R$ 20,00",
        "excess": "R$ 5,00",
        "when": "vence amanhã",
        "due": f"{today + timedelta(days=1):%d/%m}",
        "promised": f"{today - timedelta(days=3):%d/%m}",
        "debt": "a fatura do cartão vencida",
        "original_creditor": "Banco Aurora",
        "offers": "à vista por R$ 880,00 (R$ 120,00 de desconto), ou parcelado em até 10x de R$ 100,00",
        "offer": f"R$ 880,00 à vista, com vencimento em {today + timedelta(days=3):%d/%m/%Y}",
    }


def sample_parameters(spec: Spec, settings: BotSettings, today: date) -> list[str]:
    first = SAMPLE_DEBTOR.split()[0]
    due = f"{today + timedelta(days=1):%d/%m/%Y}"
    return {
        "wa_opening": [first, settings.creditor_name],
        "wa_receipt": ["R$ 150,00", "2", "5"],
        "wa_closing": [first],
        "wa_reminder": [first, "R$ 150,00", "2/5", due],
        "wa_followup": [first, due],
    }.get(spec.key, [])


def _known(spec: Spec) -> str:
    if not spec.placeholders:
        return "este texto não aceita marcadores"
    return "este texto aceita " + ", ".join("{" + p + "}" for p in spec.placeholders)


def _problems_of(spec: Spec, variant: str, where: str, values: dict[str, str]) -> list[str]:
    try:
        fields = [(name, fmt, conv) for _, name, fmt, conv in string.Formatter().parse(variant) if name is not None]
    except ValueError:
        return [f"{where}: há uma chave {{ ou }} sem par; pra escrever uma chave no texto, use {{{{ ou }}}}."]
    problems: list[str] = []
    for name, fmt, conv in fields:
        if name not in spec.placeholders:
            shown = "{" + name + "}" if name else "{}"
            problems.append(f"{where}: marcador desconhecido {shown} ({_known(spec)}).")
        elif fmt or conv:
            problems.append(f"{where}: escreva o marcador só como {{{name}}}, sem formatação.")
    named = {name for name, _, _ in fields}
    for needed in spec.required:
        if needed not in named:
            why = f" {spec.legal}" if spec.legal and needed in ("creditor", "cnpj") else ""
            problems.append(f"{where}: falta o marcador {{{needed}}} ({PLACEHOLDERS[needed]}).{why}")
    if not problems:
        size = len(variant.format(**values)) if spec.placeholders else len(variant)
        if size > spec.max_length:
            problems.append(
                f"{where}: ficou com {size} caracteres com o devedor de exemplo; o limite é {spec.max_length}."
            )
    return problems


def validate(spec: Spec, body: str, settings: BotSettings, today: date) -> str:
    """The body as it will be stored, or TemplateInvalid (422) naming every problem in Portuguese."""
    if spec.phrases is None:
        name = body.strip()
        if not name:
            raise TemplateInvalid("O nome do modelo aprovado não pode ficar vazio.")
        if len(name) > spec.max_length:
            raise TemplateInvalid(f"O nome do modelo passa de {spec.max_length} caracteres, o limite da Meta.")
        if not _NAME.fullmatch(name):
            raise TemplateInvalid(
                "Nome de modelo inválido: a Meta aceita só letras minúsculas, números e sublinhado (_), "
                "como cobranca_abertura."
            )
        return name
    variants = split_variants(body)
    if not variants:
        raise TemplateInvalid("O texto não pode ficar vazio.")
    values = sample(settings, today)
    problems: list[str] = []
    for i, variant in enumerate(variants, 1):
        where = "O texto" if len(variants) == 1 else f"A variação {i}"
        problems += _problems_of(spec, variant, where, values)
    if problems:
        raise TemplateInvalid(" ".join(problems))
    return join_variants(variants)


def usable(key: str, body: str, settings: BotSettings, today: date) -> bool:
    """Whether a stored body still fits the code (placeholders may have changed since it was saved)."""
    spec = BY_KEY.get(key)
    if spec is None:
        return False
    try:
        validate(spec, body, settings, today)
    except TemplateInvalid:
        return False
    return True


def preview(key: str, body: str, settings: BotSettings, today: date) -> PreviewOut:
    spec = spec_of(key)
    checked = validate(spec, body, settings, today)
    values = sample(settings, today)
    if spec.phrases is None:
        return PreviewOut(
            key=key,
            kind="whatsapp",
            variants=[],
            template_name=checked,
            parameters=sample_parameters(spec, settings, today),
            sample=values,
        )
    # A text without placeholders is sent as written (the code does not format it: "{{" stays "{{").
    variants = [v.format(**values) if spec.placeholders else v for v in split_variants(checked)]
    return PreviewOut(key=key, kind="text", variants=variants, sample=values)


def _out(spec: Spec, row: TemplateVersion | None, settings: BotSettings) -> TemplateOut:
    default = default_body(spec, settings)
    return TemplateOut(
        key=spec.key,
        group=spec.group,
        label=spec.label,
        kind=spec.kind,
        placeholders=[Placeholder(name=p, description=PLACEHOLDERS[p]) for p in spec.placeholders],
        required=list(spec.required),
        max_length=spec.max_length,
        legal=spec.legal,
        parameters=list(spec.parameters),
        default=default,
        body=row.body if row is not None else default,
        version=row.version if row is not None else 0,
        updated_by=row.author if row is not None else None,
        updated_at=row.created_at if row is not None else None,
    )


def _version(row: TemplateVersion) -> VersionOut:
    return VersionOut(version=row.version, body=row.body, author=row.author, note=row.note, created_at=row.created_at)


async def list_templates(db: AsyncSession, settings: BotSettings) -> list[TemplateOut]:
    rows = await repo.latest(db)
    return [_out(spec, rows.get(spec.key), settings) for spec in SPECS]


async def detail(db: AsyncSession, key: str, settings: BotSettings) -> TemplateDetail:
    spec = spec_of(key)
    rows = await repo.versions(db, key)
    out = _out(spec, rows[0] if rows else None, settings)
    return TemplateDetail(**out.model_dump(), versions=[_version(r) for r in rows])


async def save(
    db: AsyncSession,
    key: str,
    data: TemplateIn,
    who: Principal,
    settings: BotSettings,
    now: datetime,
    today: date,
    *,
    action: str = "template_edit",
) -> TemplateDetail:
    """A new version, in force in every process within a second or two of the commit (NOTIFY)."""
    spec = spec_of(key)
    body = validate(spec, data.body, settings, today)
    current = await repo.current_number(db, key)
    if data.base_version is not None and data.base_version != current:
        raise TemplateStale()
    try:
        async with db.begin_nested():
            row = await repo.add(db, key=key, number=current + 1, body=body, author=who.actor, note=data.note, now=now)
    except IntegrityError:  # someone saved the same key at the same moment
        raise TemplateStale() from None
    await audit(db, who, action, target=key, detail={"version": row.version, "chars": len(body)})
    await repo.announce(db, key)
    return await detail(db, key, settings)


async def revert(
    db: AsyncSession, key: str, number: int, who: Principal, settings: BotSettings, now: datetime, today: date
) -> TemplateDetail:
    """Back to an earlier version (0: the default) as a new version, so the history keeps the way back."""
    spec = spec_of(key)
    if number == 0:
        body = default_body(spec, settings)
    else:
        old = await repo.version(db, key, number)
        if old is None:
            raise VersionNotFound(f"O modelo “{key}” não tem a versão {number}.")
        body = old.body
    note = "Texto padrão restaurado" if number == 0 else f"Versão {number} restaurada"
    return await save(db, key, TemplateIn(body=body, note=note), who, settings, now, today, action="template_revert")
