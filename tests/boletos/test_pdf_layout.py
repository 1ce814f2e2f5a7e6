"""The boleto PDF as a bank prints it: every standard box, and the payer (not the creditor) in Pagador.

The text is read back with pypdf together with where it was drawn, so a box's content is what sits
under its label, as a person reading the slip would see it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import httpx
from pypdf import PdfReader
from structlog.testing import capture_logs

from certokit.cpf import format_cpf
from tests.boletos.test_routes import agreement
from tests.factories import create_debtor

CREDITOR_ADDRESS = "Av. Paulista, 1000, 10º andar, Bela Vista, São Paulo - SP, 01310-100"
ADDRESS = {
    "street": "Rua Tuiuti",
    "number": "1520",
    "complement": "apto 31",
    "district": "Tatuapé",
    "city": "São Paulo",
    "uf": "SP",
    "cep": "03081-000",
}
# FEBRABAN's boxes of the ficha de compensação, as labelled on the page.
LABELS = [
    "Local de pagamento",
    "Vencimento",
    "Beneficiário",
    "Agência / Código do beneficiário",
    "Data do documento",
    "Nº do documento",
    "Espécie doc.",
    "Aceite",
    "Data do processamento",
    "Nosso número",
    "Uso do banco",
    "Carteira",
    "Espécie",
    "Quantidade",
    "(x) Valor",
    "(=) Valor do documento",
    "Instruções (texto de responsabilidade do beneficiário)",
    "(-) Desconto / Abatimento",
    "(-) Outras deduções",
    "(+) Mora / Multa",
    "(+) Outros acréscimos",
    "(=) Valor cobrado",
    "Pagador",
    "Sacador/Avalista:",
    "Código de baixa",
]


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str


def page_texts(body: bytes) -> list[Text]:
    """Every string on the page with where it starts (points from the bottom-left corner)."""
    found: list[Text] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if text.strip():
            found.append(Text(tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], text.strip()))

    (page,) = PdfReader(io.BytesIO(body)).pages
    page.extract_text(visitor_text=visit)
    return found


def box(texts: list[Text], label: Text) -> list[str]:
    """The lines under a label, within its box's width, down to the next box's label."""
    neighbours = [t.x for t in texts if t.text in LABELS and abs(t.y - label.y) < 1 and t.x > label.x + 1]
    right = min(neighbours, default=10_000.0)
    below = sorted((t for t in texts if label.x - 1 < t.x < right and t.y < label.y - 1), key=lambda t: -t.y)
    lines: list[str] = []
    for t in below:
        if t.text in LABELS:
            break
        lines.append(t.text)
    return lines


def labelled(texts: list[Text], label: str) -> list[Text]:
    return [t for t in texts if t.text == label]


async def issued_pdf(crm: httpx.AsyncClient, **debtor: Any) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    d = await create_debtor(crm, debt="1500.00", **debtor)
    r = await crm.post("/api/boletos/generate", json=agreement(d["cpf"], installments=1))
    assert r.status_code == 201, r.text
    (b,) = r.json()["boletos"]
    pdf = await crm.get(f"/api/boletos/{b['boleto_id']}/pdf")
    assert pdf.status_code == 200
    return d, b, pdf.content


class TestPagador:
    async def test_both_pagador_boxes_carry_the_payer_with_full_cpf_and_address(self, crm: httpx.AsyncClient) -> None:
        d, _, body = await issued_pdf(crm, name="Joaquim Nóbrega Falcão", address=ADDRESS)
        texts = page_texts(body)
        pagador = labelled(texts, "Pagador")
        assert len(pagador) == 2  # recibo do pagador and ficha de compensação
        for label in pagador:
            assert box(texts, label) == [
                f"Joaquim Nóbrega Falcão - CPF {format_cpf(d['cpf'])}",
                "Rua Tuiuti, 1520, apto 31 - Tatuapé",
                "CEP 03081-000 - São Paulo - SP",
            ]
        # The creditor's address is on the slip (CDC art. 42-A), under Beneficiário only.
        assert [box(texts, t)[1] for t in labelled(texts, "Beneficiário")] == [CREDITOR_ADDRESS] * 2
        assert sum(CREDITOR_ADDRESS in t.text for t in texts) == 2

    async def test_a_debtor_without_address_is_not_given_the_creditors(self, crm: httpx.AsyncClient) -> None:
        d, _, body = await issued_pdf(crm, name="Glória Sampaio")
        texts = page_texts(body)
        for label in labelled(texts, "Pagador"):
            lines = box(texts, label)
            assert lines == [f"Glória Sampaio - CPF {format_cpf(d['cpf'])}", "Endereço não cadastrado"]


class TestStandardFields:
    async def test_every_ficha_box_is_labelled_and_filled_as_a_bank_does(self, crm: httpx.AsyncClient) -> None:
        _, b, body = await issued_pdf(crm, address=ADDRESS)
        texts = page_texts(body)
        for label in LABELS:
            assert labelled(texts, label), label

        def value(label: str) -> str:
            *_, ficha = labelled(texts, label)  # the ficha is the lower part: its label comes last
            return box(texts, ficha)[0]

        assert value("Espécie doc.") == "DS"
        assert value("Aceite") == "N"
        assert value("Espécie") == "R$"
        assert value("Carteira") == "109"
        assert value("Nosso número").startswith(f"109/{b['nosso_numero']}-")
        assert value("Data do documento") == value("Data do processamento")
        assert value("Vencimento") == "/".join(reversed(b["due_date"].split("-")))
        assert value("(=) Valor do documento") == "R$ 1.000,00"
        assert value("Local de pagamento").startswith("Pagável em qualquer banco")
        # Header of the ficha: bank code with its digit, then the linha digitável.
        assert labelled(texts, "341-7")
        assert labelled(texts, b["linha_digitavel_formatada"])

    async def test_one_installment_is_a_payment_in_full_with_fine_and_interest(self, crm: httpx.AsyncClient) -> None:
        _, b, body = await issued_pdf(crm, address=ADDRESS)
        lines = [t.text for t in page_texts(body)]
        due = "/".join(reversed(b["due_date"].split("-")))
        assert "Pagamento à vista" in lines
        assert not any("Parcela 1 de 1" in line or "parcela 1 de 1" in line for line in lines)
        # 2% of R$ 1.000,00 once, and 0,033% a day (1% a month) = R$ 0,33 a day.
        assert (
            f"Após {due}, cobrar multa de 2,00% (R$ 20,00) e juros de mora de 0,033% ao dia (R$ 0,33 por dia)."
        ) in lines


async def test_the_full_cpf_is_printed_but_never_logged(crm: httpx.AsyncClient) -> None:
    # Captured before the log scrubber runs: nothing on the way even tries to log the CPF.
    with capture_logs() as events:
        d, _, body = await issued_pdf(crm, address=ADDRESS)
    assert any(format_cpf(d["cpf"]) in t.text for t in page_texts(body))
    logged = repr(events)
    assert "/api/boletos/generate" in logged  # the issue and the download were logged...
    assert d["cpf"] not in logged  # ...without the CPF, in either writing
    assert format_cpf(d["cpf"]) not in logged
