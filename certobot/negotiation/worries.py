"""What people fear a debt of their kind will do to them, and the honest answer to each.

An overdue electricity bill brings the fear of the power being cut; a school fee, of the child's
transcript held; a credit card, of the card staying blocked. The collector decides none of these (the
distributor, the school, the bank do), so the bot never promises them: it says who decides, what the
law says where the law is plain, and what paying does change. Then the negotiation goes on.
"""

from __future__ import annotations

import re
from typing import Literal

Worry = Literal["power_cut", "school", "card", "credit_again", "employer", "wait_out"]

# Checked in order, on the folded text (lower case, no accents); the first that matches is the worry.
_PATTERNS: tuple[tuple[Worry, re.Pattern[str]], ...] = (
    (
        "power_cut",
        re.compile(
            r"\b(cort(ar|am|em|e|ando|aram|ou)|corte|desligar|desligam|desliga(da|do)?)\b.{0,25}\b(luz|energia|forca)\b"
            r"|\b(luz|energia|forca)\b.{0,25}\b(cort|deslig)"
            r"|\baviso de (corte|desligamento)\b"
        ),
    ),
    (
        "school",
        re.compile(
            r"\b(historico|boletim|declaracao de transferencia|transferencia|diploma|certificado|documentos? (da|de) "
            r"(escola|faculdade))\b.{0,60}\b(escola|faculdade|colegio|segur|ret(er|em|ido|endo)|libera|solta|entrega)"
            r"|\b(escola|faculdade|colegio|secretaria)\b.{0,60}\b(historico|boletim|documento|transferencia|diploma)"
            r"|\b(rematricula|rematricular|matricula|matricular|renovar a matricula)\b"
        ),
    ),
    (
        "card",
        re.compile(
            r"\b(cartao)\b.{0,40}\b(volta|voltar|desbloque|libera|liberar|funcionar|funciona|usar|passar|limite)"
            r"|\b(desbloque|liberar?) (o |meu )?cartao\b|\busar (o |meu )?cartao\b"
        ),
    ),
    (
        "credit_again",
        re.compile(
            r"\b(credito|financiamento|financiar|emprestimo|crediario|cartao novo|score)\b.{0,30}\b(de novo|novamente|"
            r"outra vez|volta|voltar|aprova|aprovar|aprovado|consigo|conseguir|liberar|libera|melhora|sobe|subir)"
            r"|\b(consigo|conseguir|vou ter|volto a ter|voltar a ter|posso pegar|aprovar?|aprovam)\b.{0,20}"
            r"\b(credito|financiamento|emprestimo)\b"
            r"|\bninguem aprova\b"
        ),
    ),
    (
        "employer",
        re.compile(
            r"\b(patrao|patroa|chefe|empregador|meu trabalho|meu servico|minha firma|empresa onde trabalho|rh|"
            r"recursos humanos|colegas de trabalho)\b.{0,40}\b(sab|fica sabendo|descobr|aparece|avis|lig|contat|"
            r"procur|desconta|informa)"
            r"|\b(sab|fica sabendo|descobr|aparece|avis|lig|contat|procur|informa)\w*\b.{0,25}\b(patrao|patroa|chefe|"
            r"empregador|rh|meu trabalho|meu servico)\b"
        ),
    ),
    (
        "wait_out",
        re.compile(
            r"\bse eu (esperar|deixar|nao pagar)\b.{0,60}\b(some|sumir|limpa|caduca|prescreve|sai|acaba|apaga|anos)"
            r"|\b(some|sumir|limpa|caduca|apaga)\w* (tudo )?sozinh"
        ),
    ),
)


def worry_of(folded: str) -> Worry | None:
    """The fear named in a message, if any (the text already folded by `nlu.fold`)."""
    folded = folded.replace("cartao de credito", "cartao")
    for worry, pattern in _PATTERNS:
        if pattern.search(folded):
            return worry
    return None


def answer(worry: Worry, creditor: str) -> str:
    """The honest answer: who decides, what the law says where it is plain, what paying changes."""
    match worry:
        case "power_cut":
            return (
                "Sobre a luz, com toda a sinceridade: quem decide corte é a distribuidora de energia, não a "
                f"{creditor}, então eu não posso te garantir nada sobre isso. O que muda com o acordo é que essa "
                "conta deixa de estar em aberto com a gente. Se chegou aviso de corte, ligue também pra "
                "distribuidora e conte do acordo; e se alguém da casa depende de energia por saúde, avise a ela, "
                "que existem regras especiais pra esses casos."
            )
        case "school":
            return (
                "Sobre a escola: pela lei (Lei 9.870/1999, art. 6º), a escola não pode reter histórico, boletim "
                "nem documentos de transferência por causa de mensalidade atrasada; se estiverem segurando, peça "
                "por escrito na secretaria. Já a rematrícula é diferente: a escola pode recusar enquanto houver "
                "débito, e com o acordo em dia isso costuma se resolver, mas quem confirma é a secretaria."
            )
        case "card":
            return (
                "Sobre o cartão: quem decide desbloquear ou devolver limite é o banco que emitiu o cartão, não "
                f"a {creditor}, então não posso te prometer isso. Com o acordo pago, a dívida fica quitada e você "
                "pode pedir ao banco uma nova análise."
            )
        case "credit_again":
            return (
                "Com o acordo pago, o credor tem até 5 dias úteis pra pedir a retirada do seu nome do Serasa e "
                "do SPC, e isso costuma ajudar no score. Mas aprovar crédito novo depende da análise de cada "
                "banco ou loja, então eu não posso te prometer aprovação."
            )
        case "employer":
            return (
                "Quanto a isso, pode ficar em paz: a gente não procura seu patrão, seus colegas nem ninguém do "
                "seu trabalho, e não fala dessa dívida com outra pessoa além de você (é regra da LGPD e do Código "
                "de Defesa do Consumidor)."
            )
        case "wait_out":
            return (
                "Te explico com sinceridade: depois de 5 anos do vencimento, a dívida não pode mais ser cobrada "
                "na Justiça e sai dos cadastros de inadimplentes (CDC, art. 43). Mas até lá ela continua valendo, "
                "o nome segue negativado e a cobrança pode continuar; e pagando agora você tem desconto. A decisão "
                "é sua."
            )
