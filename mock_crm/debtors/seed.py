"""Realistic, reproducible demo debtors for an empty CRM.

The same seed always gives the same people, CPFs, phones and debts (relative to today's date, so
that ages of debt stay meaningful). Negotiation limits follow the age of the debt: an older debt
is worth less to the creditor, who allows a larger discount and more installments.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from certokit.cpf import cpf_check_digits
from certokit.logging import get_logger
from mock_crm.debtors.models import Debt, Debtor
from mock_crm.debtors.repository import DebtorRepository
from mock_crm.debtors.service import KIND_LABELS, today_sp
from mock_crm.settings import CrmSettings

log = get_logger("mock_crm.seed")

FIRST = [
    "Maria",
    "José",
    "Ana",
    "João",
    "Antônio",
    "Francisca",
    "Luís",
    "Márcia",
    "Sebastião",
    "Conceição",
    "Raimundo",
    "Lúcia",
    "Cláudio",
    "Patrícia",
    "Sérgio",
    "Fábio",
    "Jéssica",
    "Vitória",
    "Cauã",
    "Letícia",
    "Otávio",
    "Mônica",
    "Inês",
    "Joaquim",
    "Núbia",
    "Açucena",
    "Benedito",
    "Glória",
    "Rômulo",
    "Tânia",
]
LAST = [
    "da Silva",
    "dos Santos",
    "Oliveira",
    "Souza",
    "Pereira",
    "Lima",
    "Gonçalves",
    "Araújo",
    "Ribeiro",
    "Conceição",
    "Assunção",
    "Magalhães",
    "Brandão",
    "Guimarães",
    "Simões",
    "Falcão",
    "Damião",
    "Lopes",
    "Sampaio",
    "Nóbrega",
    "Carvalho",
    "Galvão",
    "Fernandes",
    "Gusmão",
]
# (DDD, city, state): real area codes, spread over the country.
PLACES = [
    (11, "São Paulo", "SP"),
    (11, "Guarulhos", "SP"),
    (19, "Campinas", "SP"),
    (21, "Rio de Janeiro", "RJ"),
    (31, "Belo Horizonte", "MG"),
    (41, "Curitiba", "PR"),
    (51, "Porto Alegre", "RS"),
    (61, "Brasília", "DF"),
    (62, "Goiânia", "GO"),
    (71, "Salvador", "BA"),
    (81, "Recife", "PE"),
    (85, "Fortaleza", "CE"),
    (91, "Belém", "PA"),
    (92, "Manaus", "AM"),
    (98, "São Luís", "MA"),
    (27, "Vitória", "ES"),
    (84, "Natal", "RN"),
    (83, "João Pessoa", "PB"),
    (65, "Cuiabá", "MT"),
    (48, "Florianópolis", "SC"),
]
# (street, district, CEP) per city: real streets and neighbourhoods, CEPs of their ranges.
STREETS: dict[str, list[tuple[str, str, str]]] = {
    "São Paulo": [
        ("Rua Domingos de Morais", "Vila Mariana", "04010100"),
        ("Rua Tuiuti", "Tatuapé", "03081000"),
        ("Avenida Sapopemba", "Sapopemba", "03345000"),
    ],
    "Guarulhos": [("Rua Dom Pedro II", "Centro", "07011000"), ("Avenida Tiradentes", "Vila Galvão", "07071000")],
    "Campinas": [("Rua Barão de Jaguara", "Centro", "13015001"), ("Avenida Amoreiras", "Parque Itália", "13036225")],
    "Rio de Janeiro": [
        ("Rua Dias da Cruz", "Méier", "20720011"),
        ("Estrada do Cafundá", "Taquara", "22725030"),
        ("Rua Conde de Bonfim", "Tijuca", "20520053"),
    ],
    "Belo Horizonte": [
        ("Rua Padre Eustáquio", "Carlos Prates", "30710580"),
        ("Avenida Cristiano Machado", "Cidade Nova", "31170800"),
    ],
    "Curitiba": [
        ("Rua XV de Novembro", "Centro", "80020310"),
        ("Rua Marechal Floriano Peixoto", "Rebouças", "80230110"),
    ],
    "Porto Alegre": [
        ("Avenida Assis Brasil", "Passo d'Areia", "91010003"),
        ("Rua da República", "Cidade Baixa", "90050321"),
    ],
    "Brasília": [("QNM 34 Conjunto J", "Ceilândia Norte", "72145410"), ("SQS 308 Bloco C", "Asa Sul", "70355030")],
    "Goiânia": [
        ("Avenida Anhanguera", "Setor Leste Universitário", "74610250"),
        ("Rua 44", "Setor Norte Ferroviário", "74063010"),
    ],
    "Salvador": [("Rua Chile", "Centro", "40020000"), ("Avenida Sete de Setembro", "Campo Grande", "40080001")],
    "Recife": [("Rua da Aurora", "Boa Vista", "50050000"), ("Avenida Caxangá", "Cordeiro", "50720000")],
    "Fortaleza": [
        ("Avenida Bezerra de Menezes", "São Gerardo", "60325002"),
        ("Rua Barão do Rio Branco", "Centro", "60025060"),
    ],
    "Belém": [
        ("Travessa Padre Eutíquio", "Batista Campos", "66025240"),
        ("Avenida Almirante Barroso", "Marco", "66093020"),
    ],
    "Manaus": [("Avenida Djalma Batista", "Chapada", "69050010"), ("Rua Recife", "Adrianópolis", "69057002")],
    "São Luís": [("Rua Grande", "Centro", "65020250"), ("Avenida dos Holandeses", "Calhau", "65071380")],
    "Vitória": [
        ("Avenida Jerônimo Monteiro", "Centro", "29010004"),
        ("Rua Chapot Presvot", "Praia do Canto", "29055410"),
    ],
    "Natal": [("Avenida Prudente de Morais", "Tirol", "59020400"), ("Rua Apodi", "Cidade Alta", "59025000")],
    "João Pessoa": [
        ("Avenida Epitácio Pessoa", "Tambauzinho", "58042000"),
        ("Rua das Trincheiras", "Centro", "58011000"),
    ],
    "Cuiabá": [
        ("Avenida Historiador Rubens de Mendonça", "Bosque da Saúde", "78050000"),
        ("Rua Barão de Melgaço", "Centro Sul", "78020800"),
    ],
    "Florianópolis": [("Rua Felipe Schmidt", "Centro", "88010000"), ("Rodovia Admar Gonzaga", "Itacorubi", "88034000")],
}
COMPLEMENTS = [None, None, None, "apto 12", "apto 304", "casa 2", "bloco B apto 21", "fundos"]
# kind, original creditor, amount range in reais
KINDS = [
    ("cartao_credito", "Banco Aurora S.A.", 300, 15000),
    ("emprestimo_pessoal", "Financeira Horizonte S.A.", 500, 12000),
    ("conta_luz", "Companhia Energética Exemplo", 80, 900),
    ("crediario", "Lojas Populares Ltda", 150, 3500),
    ("mensalidade_escolar", "Colégio Esperança Ltda", 400, 6000),
]


def _cpf(rng: random.Random) -> str:
    while True:
        first9 = "".join(str(rng.randint(0, 9)) for _ in range(9))
        if len(set(first9)) > 1:
            return first9 + cpf_check_digits(first9)


def _days_past_due(rng: random.Random, i: int) -> int:
    # About one in twelve is past the 5-year prescription; the rest from 15 days to 5 years.
    if i % 12 == 11:
        return rng.randint(5 * 365 + 10, 6 * 365)
    return rng.choice([rng.randint(15, 120), rng.randint(120, 720), rng.randint(720, 5 * 365 - 5)])


def _params(days: int, amount_cents: int) -> tuple[Decimal, int, int]:
    """(max discount %, min installment cents, max installments) by the age of the debt."""
    if days <= 90:
        discount, installments = Decimal("10.00"), 6
    elif days <= 365:
        discount, installments = Decimal("25.00"), 10
    elif days <= 3 * 365:
        discount, installments = Decimal("40.00"), 12
    else:
        discount, installments = Decimal("60.00"), 18
    min_payment = max(5000, min(20000, amount_cents // 20 // 100 * 100))  # R$ 50 to R$ 200
    installments = max(1, min(installments, amount_cents // min_payment))
    return discount, min_payment, installments


def build_debtors(count: int, seed: int, today: date) -> list[Debtor]:
    rng = random.Random(seed)
    # Addresses draw from their own stream: the people, CPFs and debts of a seed stay what they were.
    addr_rng = random.Random(seed + 1)
    debtors: list[Debtor] = []
    cpfs: set[str] = set()
    phones: set[str] = set()
    for i in range(count):
        cpf = _cpf(rng)
        while cpf in cpfs:
            cpf = _cpf(rng)
        cpfs.add(cpf)
        ddd, city, state = rng.choice(PLACES)
        phone = f"+55{ddd}9{rng.randint(6, 9)}{rng.randint(0, 9_999_999):07d}"
        while phone in phones:
            phone = f"+55{ddd}9{rng.randint(6, 9)}{rng.randint(0, 9_999_999):07d}"
        phones.add(phone)
        street, district, cep = addr_rng.choice(STREETS[city])
        name = f"{rng.choice(FIRST)} {rng.choice(FIRST) if rng.random() < 0.3 else ''} {rng.choice(LAST)}"
        name = " ".join(name.split())
        kind, creditor, lo, hi = KINDS[i % len(KINDS)]
        amount_cents = rng.randint(lo * 100, hi * 100)
        days = _days_past_due(rng, i)
        discount, min_payment, max_inst = _params(days, amount_cents)
        debtors.append(
            Debtor(
                cpf=cpf,
                name=name,
                phone=phone,
                phone_key=phone[1:5] + phone[6:],
                email=None,
                street=street,
                number=str(addr_rng.randint(12, 2999)),
                complement=addr_rng.choice(COMPLEMENTS),
                district=district,
                city=city,
                state=state,
                cep=cep,
                debts=[
                    Debt(
                        kind=kind,
                        description=KIND_LABELS[kind],
                        contract_number=f"{kind[:2].upper()}{rng.randint(10**7, 10**8 - 1)}",
                        original_creditor=creditor,
                        amount_cents=amount_cents,
                        due_date=today - timedelta(days=days),
                        max_discount_percentage=discount,
                        min_payment_cents=min_payment,
                        max_installments=max_inst,
                    )
                ],
            )
        )
    return debtors


async def seed_if_empty(sessionmaker: async_sessionmaker[AsyncSession], settings: CrmSettings) -> int:
    """Seed `MOCK_DEBTORS_COUNT` debtors into an empty CRM; returns how many were added."""
    async with sessionmaker() as session, session.begin():
        repo = DebtorRepository(session)
        if settings.mock_debtors_count == 0 or await repo.count() > 0:
            return 0
        debtors = build_debtors(settings.mock_debtors_count, settings.seed, today_sp())
        session.add_all(debtors)
    log.info("crm_seeded", debtors=len(debtors))
    return len(debtors)
