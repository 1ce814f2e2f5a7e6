"""What a debtor says after an agreement is closed, in the same WhatsApp thread, and what the bot answers.

The negotiation's reading (`nlu.understand`) is tuned for terms; after a deal people write about other
things: where to pay without a bank account, a PIX code the bank app refuses, a receipt photo, a thank
you, a daughter's number. Each of those is a family of phrasings here (accent- and case-insensitive,
with WhatsApp's abbreviations spelled out first), checked in an order where the more specific ask wins
("obrigada, mas quero mudar pra 3x" is a change, not a thank you). Pure functions: the flow decides
which existing path (second copy, renegotiation, cancel) a kind goes to.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from enum import StrEnum

from certokit.money import brl


class AfterDeal(StrEnum):
    cancel = "cancel"  # "quero cancelar": the existing cancel path
    change = "change"  # new terms ("muda pra 3x", "prefiro à vista"): the existing renegotiation
    date_change = "date_change"  # only the due date moves: same count, same amounts
    early_payment = "early_payment"  # "se eu pagar antes ganho desconto?"
    money_back = "money_back"  # "paguei duas vezes", "coloquei 48 e não 480", "o que paguei volta?": the team checks
    how_long = "how_long"  # "quanto tempo demora?", "paguei e meu nome continua no Serasa"
    hardship = "hardship"  # "fui demitido, não vou conseguir a próxima parcela": fewer, smaller parcelas offered
    registered = "registered"  # "ficou registrado mesmo? não tem papel nenhum": the boleto and the receipt
    other_number = "other_number"  # "manda pro zap da minha filha": never sent anywhere but here
    other_debt = "other_debt"  # "tenho outra dívida com vocês?": never invented
    pay_error = "pay_error"  # "o pix dá erro no app"
    resend = "resend"  # "apaguei a conversa", "o boleto não veio": the existing second copy
    where_to_pay = "where_to_pay"  # "posso pagar na lotérica? não tenho conta"
    terms = "terms"  # "quando vence?", "quanto ficou cada parcela?"
    beneficiary = "beneficiary"  # "o boleto vem no nome de quem?": the company's name, to check before paying
    discharge = "discharge"  # "vocês mandam a declaração de quitação?": after the last payment, on request
    paid = "paid"  # "paguei agora": what the bank has confirmed so far
    thanks = "thanks"  # "obrigada", "deus te abençoe": a short warm closing
    ack = "ack"  # "ok", "entendi", "tá bom": a short closing, no "de nada" to a plain ok
    audio = "audio"
    image = "image"  # after a deal, most often a receipt
    media = "media"  # a sticker, a video, anything else that is not text


# WhatsApp spelling, word for word, so that each family is written once in full words.
ABBREVIATIONS: dict[str, str] = {
    "vc": "voce",
    "vcs": "voces",
    "ce": "voce",
    "q": "que",
    "oq": "o que",
    "qnd": "quando",
    "qdo": "quando",
    "qndo": "quando",
    "qto": "quanto",
    "qnto": "quanto",
    "qnt": "quanto",
    "msm": "mesmo",
    "n": "nao",
    "nn": "nao",
    "naum": "nao",
    "tb": "tambem",
    "tbm": "tambem",
    "td": "tudo",
    "hj": "hoje",
    "agr": "agora",
    "mt": "muito",
    "mto": "muito",
    "mta": "muita",
    "obg": "obrigado",
    "obgd": "obrigado",
    "obgda": "obrigada",
    "brigado": "obrigado",
    "brigada": "obrigada",
    "vlw": "valeu",
    "blz": "beleza",
    "pfv": "por favor",
    "pf": "por favor",
    "dnv": "de novo",
    "denovo": "de novo",
    "wpp": "zap",
    "whats": "zap",
    "whatsapp": "zap",
    "wats": "zap",
    "zapzap": "zap",
    "cel": "celular",
    "num": "numero",
    "nr": "numero",
    "tel": "telefone",
    "fone": "telefone",
    "dps": "depois",
    "cmg": "comigo",
    "p": "pra",
    "para": "pra",
    "ta": "esta",
    "to": "estou",
    "eh": "e",
}
_TOKEN = re.compile(r"[a-z]+")


def normalize(text: str) -> str:
    """Lower case, no accents, abbreviations spelled out: "Qnd vc manda o PIX dnv?" → "quando voce manda o pix
    de novo?"."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = _TOKEN.sub(lambda m: ABBREVIATIONS.get(m.group(0), m.group(0)), t)
    return re.sub(r"\s+", " ", t).strip()


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Building blocks, so that each family reads as what it means.
_SEND = r"(manda|mandar|mande|envia|enviar|envie|reenvia|reenviar|passa|passar|encaminha|encaminhar|joga|repete)"
_DOC = r"(boleto|pix|codigo|pdf|linha digitavel|codigo de barras|copia e cola|qr ?code|arquivo|documento)"
_KIN = (
    r"(filh[oa]|espos[oa]|marido|mulher|mae|pai|irma|irmao|namorad[oa]|sobrinh[oa]|net[oa]|genro|nora|tia|tio"
    r"|vizinh[oa]|amig[oa]|patroa|patrao|prim[oa]|cunhad[oa]|sogr[oa]|companheir[oa]|chefe)"
)
_AGAIN = r"(de novo|novamente|outra vez|mais uma vez)"
_PHONE = r"\(?\b\d{2}\)?[ .-]?9?[ .-]?\d{4}[ .-]?\d{4}\b"
_NEGATED = r"\bnao (quero|vou|precisa|preciso|e pra|era pra|pode|pretendo|ia) (mais )?"

CANCEL = (
    r"\b(quero|queria|quer|queremos|vou|vamos|preciso|gostaria de|decidi|decidimos|resolvi|resolvemos) (mesmo )?"
    r"(cancelar|desfazer|desistir)",
    r"^cancel\w*( (o|esse|este|meu) acordo)?( (ai|pra mim|por favor))?\W*$",
    r"\bcancela (ai|pra mim|por favor|isso|tudo|esse acordo|o acordo)",
)
# Terms of their own: a count, cash, a new amount. Checked after a due-date change and early payment,
# which may name a day or "à vista" without asking for other terms.
CHANGE = (
    r"\b(mudar|muda|mudo|trocar|troca|troco|alterar|altera|refazer|refaz|refaca|passar|passa)\b.{0,30}"
    r"\b(\d{1,2} ?(x|vezes|parcelas?)|a vista|avista|parcelad\w*|de uma vez|entrada|valor|acordo|condic\w*)",
    r"\b(prefiro|preferia|quero|queria|faz|faca|fazer|pode ser|da pra|fecha|fechar)\b.{0,20}"
    r"\b(\d{1,2} ?(x|vezes|parcelas)|em \d{1,2}\b|a vista|avista|parcelad\w*|de uma vez so)",
    r"\b(e se|se eu|quanto fica|quanto sai|qual o valor|qual valor)\b.{0,25}"
    r"\b(a vista|avista|de uma vez|\d{1,2} ?(x|vezes|parcelas))",
    r"\b(menos|mais) parcelas\b",
    r"\bparcela(s)? (menor|menores|maior|maiores|mais baixa)",
)
DATE_CHANGE = (
    r"\b(mudar|muda|mudo|trocar|troca|alterar|altera|passar|passa|remarcar|adiar|adia|mover|empurrar|empurra"
    r"|prorrogar|prorroga|jogar|joga)\b.{0,30}\b(vencimento|data|dia)\b",
    r"\b(vencimento|data|vencer|vence|venca|cair|caia)\b.{0,25}\b(pro|pra|no|ao|pra o) dia \d{1,2}\b",
    r"\b(pode|podia|poderia|da|daria|tem como|consegue|posso|seria possivel) (pra |de )?(pagar|vencer|ser|cair)"
    r" (so |sempre |todo |no |em )*dia \d{1,2}\b",
    r"\b(prefiro|preferia|melhor|queria|quero)( que (venc\w*|cai\w*|seja|fosse|fique|ficasse))?"
    r"( (so|sempre|todo|no|o|pro|pra))* dia \d{1,2}\b",
    r"\b(recebo|salario|aposentadoria|beneficio|pagamento|bolsa familia|auxilio)\b.{0,25}"
    r"\b(cai|sai|entra|vem|recebo)\b.{0,12}\bdia \d{1,2}\b.{0,40}\b(venc|data|dia|mudar|trocar|pode|da pra)",
    r"\boutra data\b",
    r"\b(mudar|trocar|alterar) (o )?dia (do|de) (pagamento|vencimento)",
)
EARLY_PAYMENT = (
    r"\b(pagar|pago|quitar|quito|pagando|liquidar|acertar)\b.{0,30}"
    r"\b(antes|mais cedo|adiantad\w*|antecipad\w*|o resto (de uma vez|tudo)|tudo de uma vez)",
    r"\bantecip\w*",
    r"(?<!nao )\badiant(ar|o|a|ando|ei)\b",
    r"\b(ganho|ganha|tem|teria|da|daria|consigo|consegue|rola|sai)\b.{0,15}\bmais desconto",
    r"\bdesconto\b.{0,30}\b(se|pra|quando) (eu )?(pagar|quitar|adiantar|antecipar)",
    r"\b(pagar|quitar) (tudo|o resto|o restante|o saldo)\b.{0,20}\b(antes|agora|logo)",
    # "Pagar a 1ª e a 2ª parcela juntas": paying ahead, never a new agreement.
    r"\b(parcela|parcelas|boletos|prestacoes)\b.{0,25}\bjunt(as|os|o|a)\b",
    r"\bjunt(as|os)\b.{0,25}\b(parcela|parcelas|boletos|prestacoes)\b",
    r"\b(duas|2|tres|3) (parcelas|boletos|prestacoes) (de uma vez|no mesmo mes|neste mes|esse mes)\b",
)
BENEFICIARY = (
    r"\b(boleto|pix|pagamento|codigo)\b.{0,25}\b(no nome de quem|em nome de quem|sai em nome|vem em nome|"
    r"vem no nome|sai no nome|pra quem vai|para quem vai|cai pra quem|cai na conta de quem)",
    r"\bquem (e|eh|sera|vai ser|aparece como) (o )?(beneficiario|recebedor)",
    r"\b(boleto|pix|pagamento)\b.{0,30}\b(cnpj|razao social|beneficiario)\b",
    r"\b(qual|que) (o )?(nome|cnpj) (do beneficiario|que aparece|vai aparecer|que vai aparecer)",
)
DISCHARGE = (
    r"\b(declaracao|carta|termo|certidao|comprovante) de (quitacao|quitado|pagamento total|nada consta)",
    r"\bnada consta\b",
    r"\bdocumento (que|q|dizendo que|falando que) (quitei|paguei tudo|ta quitad|esta quitad)",
)
OTHER_NUMBER = (
    rf"{_PHONE}",
    r"\b(outro|outra|novo) (numero|zap|celular|telefone|contato|email)\b",
    rf"\b(numero|zap|celular|telefone|contato|email) (d[aeo]|do meu|da minha|de minha|de meu|desse|dessa) {_KIN}",
    rf"\b{_SEND}\b.{{0,40}}\b(pro|pra|no|na|ao|a) (o |a )?(meu |minha )?{_KIN}\b",
    rf"\b{_SEND}\b.{{0,40}}\b(pro|pra|no|por|pelo) (meu |o )?(email|e-mail|outro zap|outro numero)",
    rf"\b{_KIN}\b.{{0,30}}\b(vai|que vai|quem vai|pode) (pagar|receber|ver|abrir)\b",
)
OTHER_DEBT = (
    r"\b(outra|outras|mais alguma|mais uma|alguma outra|segunda) (divida|conta|pendencia|cobranca)",
    r"\b(outro|outros|mais algum|algum outro|segundo) (debito|cartao|emprestimo|contrato|financiamento|carne)",
    r"\b(tenho|tem|existe|consta|aparece|ha|devo|estou devendo|esta devendo)\b.{0,15}"
    r"\bmais (alguma coisa|algo|coisa|alguma divida|algum debito|divida|debito)",
    r"\bcartao de loja\b",
    r"\b(mais|outras?) dividas?\b.{0,25}\b(com voces|com a empresa|no meu (nome|cpf))",
    r"\b(e |era )?so (essa|esta) (divida|conta)\b",
)
# The code or the boleto refused by the bank's app: help, not a second copy by reflex.
PAY_ERROR = (
    r"\b(pix|codigo|copia e cola|qr ?code|boleto|codigo de barras|linha digitavel|app|aplicativo|banco|nubank"
    r"|itau|bradesco|santander|picpay|mercado pago)\b.{0,40}"
    r"\b(erro|invalid\w*|nao (esta |estou )?(funciona\w*|vai|foi|passa|passou|aceita|aceitou|le|leu|reconhece\w*"
    r"|entra|da certo|deu certo|consigo|consegui|cola|colou|abre|abriu)|recus\w*|nao e valido|bugou|travou"
    r"|expir\w*|vencid\w*)",
    r"\b(erro|invalid\w*|nao consigo|nao consegui|nao da pra|nao deu pra)\b.{0,30}"
    r"\b(pagar|colar|copiar|ler|usar)\b.{0,30}\b(pix|codigo|copia e cola|qr ?code|boleto|codigo de barras|app|banco)",
    r"\b(da|deu|dando|aparece|apareceu|fala|falou|diz|disse)\b.{0,10}\b(erro|invalido|codigo invalido)\b",
    r"\bnao (esta |ta )?(funcionando|indo)\b.{0,20}\b(pix|codigo|pagamento)",
    r"\b(copiei|colei|copio|colo)\b.{0,30}\bnao (foi|deu|vai|aceit\w*|funcion\w*|passa\w*)",
    r"\bnao (aceita|aceitou|le|leu|reconhece|reconheceu|valida|validou)\b.{0,20}"
    r"\b(pix|codigo|boleto|qr ?code|copia e cola|codigo de barras)",
)
RESEND = (
    rf"\b{_SEND}\b.{{0,30}}\b{_AGAIN}",
    rf"\b{_AGAIN}\b.{{0,25}}\b{_DOC}",
    rf"\b(apaguei|perdi|deletei|exclui|sumiu|sumiram|nao acho|nao encontro|cade|onde (esta|foi parar))\b.{{0,40}}"
    rf"\b({_DOC}|conversa|mensage\w*|historico)",
    rf"\b{_DOC}\b.{{0,30}}\bnao (veio|chegou|apareceu|abre|abriu|carrega|baixa|baixou)",
    rf"\bnao (veio|chegou|recebi|apareceu|mandaram|mandou)\b.{{0,30}}\b{_DOC}",
    r"\bso (chegou|veio|recebi) (o|a)\b",
    r"\b(segunda|2 ?a|2) via\b",
    r"\breenvi\w*",
    rf"\b{_SEND} (o |a |meu |o meu )?{_DOC}( (do|da|de) \w+)?( por favor| ai| pra mim| aqui)?\W*$",
    rf"\b(preciso|quero|queria|pode me mandar|me manda)\b.{{0,10}}\b(o |a )?{_DOC}\b.{{0,15}}"
    r"\b(de novo|atualizad|novo)",
)
WHERE_TO_PAY = (
    r"\blo?teric\w*",
    r"\b(agencia|caixa aqui|correspondente|caixa eletronico|banco 24|caixa do banco|boca do caixa)\b",
    r"\b(nao tenho|nao tem|sem) (conta|banco|cartao|app|aplicativo|pix|celular com app)\b",
    r"\bonde (eu )?(pago|posso pagar|da pra pagar|pagar|faco o pagamento|consigo pagar)",
    r"\b(posso|da pra|consigo|tem como|da|aceita|aceitam|pode) (pagar )?(n[oa]|em|pel[oa]|com|via|no caixa) "
    r"(loteric\w*|caixa|banco|agencia|mercado|farmacia|nubank|picpay|mercado pago|inter|app|aplicativo|cartao|dinheiro"
    r"|celular|correspondente)",
    r"\bcomo (eu )?(pago|faco pra pagar|faz pra pagar|faco o pagamento|posso pagar)\b",
    r"\bpago no caixa\b",
    r"\bcaixa tem\b",
    r"\b(sem|nao tenho) conta\b",
)
TERMS = (
    r"\b(quando|que dia|qual dia|qual a data|qual o dia|qual data|data)\b.{0,30}"
    r"\b(venc\w*|cai|pagar|pago|primeira|parcela|boleto|proxima)",
    r"\bvenc\w*\b.{0,30}(\?|\bquando\b|\bmes\b|\bdia\b|\bdata\b|\bsemana\b)",
    r"\bvence (esse|este|no proximo|mes que vem|quando|que dia)",
    r"\bqual (e |era |foi )?(o |a )?(vencimento|data)",
    r"\b(quanto|qual o valor|qual e o valor|valor)\b.{0,25}"
    r"\b(parcela|cada|por mes|mensal|boleto|fica|ficou|pagar|total|deu|primeira|mes)",
    r"\bquanto (e|era|ficou|fica|vou pagar|pago|tenho que pagar|preciso pagar|devo pagar)\b",
    r"\b(quantas|qnts) (parcelas|vezes)\b",
)
PAID = (
    r"\b(ja )?(paguei|pagamos|quitei|transferi|depositei|fiz o (pix|pagamento|deposito)|paguei o boleto)\b",
    r"\b(esta|ja esta|ja foi|foi) pag[oa]\b",
    r"\bpagamento (feito|realizado|efetuado|concluido)",
    r"^(ah |pronto |oba )?(agora|ja) foi\b",
    r"\bacabei de pagar\b",
    r"\bconsegui pagar\b",
)
_NOT_PAID = _any(r"\b(nao|ainda nao|nunca) (paguei|consegui pagar|quitei|transferi|fiz o pix)")
THANKS = (
    r"\b(obrigad[oa]|agradec\w*|valeu|grat[oa]|gratidao)\b",
    r"\bdeus (te |lhe |vos |a |o )?(abencoe|abencoa|pague|proteja|ilumine)",
    r"\b(que deus|fica com deus|vai com deus|amem)\b",
    r"\b(vou dormir|dormir em paz|aliviad[oa]|alivio|tirou um peso|me ajudou muito|salvou)\b",
    r"^[\W_]*[🙏❤💙💚💖🥰🤗👏😍🙌]+[\W_]*$",
)
ACK = (
    r"\b(esta|tudo|entao esta|ah esta) (bem|certo|otimo|joia|beleza|combinado|ok|bom)\b",
    r"^(ah |entao |ok |ahh |ata |hum )?(ok|okay|okk|beleza|certo|combinado|entendi|entendido|ah esta|ata|esta bom"
    r"|fechou|joia|top|uhum|aham|legal|massa|maravilha|otimo|perfeito|show|bom|boa|pronto|ah bom|certinho|blz)"
    r"( entao| obrigad[oa]| valeu)?\W*$",
    r"^[\W_]*[👍👌✌☺😊🙂]+[\W_]*$",
)
# Terms said with a thank-you make it a change ("ok, obrigada, dia 15 então"): never closed with a courtesy.
_TERMS_SAID = _any(
    r"\d",
    r"\b(vezes|parcel\w*|a vista|avista|entrada|mudar|muda|trocar|troca|alterar|altera|cancel\w*|desconto)\b",
    r"\?",
)

MONEY_BACK = (
    r"\b(paguei|pago|paguei o \w+|pagamos|cobrou|cobraram|descontou|descontaram) (duas|2) vezes\b",
    r"\bpaguei (a mais|errado|o valor errado|valor errado|em dobro|dobrado)\b",
    r"\b(coloquei|digitei|botei|mandei|transferi|fiz o pix)\b.{0,30}\b(errado|a menos|a mais|e nao (o|os)\b)",
    r"\b(volta|voltar|devolve|devolvem|devolver|devolucao|estorno|estornar|estornam|reembols\w*|ressarc\w*"
    r"|dinheiro de volta|meu dinheiro)\b",
)
HOW_LONG = (
    r"\b(quanto tempo|qnto tempo|qto tempo|demora|demorar|prazo)\b",
    r"\b(serasa|spc|nome sujo|negativad\w*|score|nome limpo|limpar (o|meu) nome|meu nome)\b.{0,40}"
    r"\b(continua|ainda|sai|saiu|limpa|quando|tira|tirar|baixa)\b",
    r"\b(continua|ainda|quando sai|quando limpa|nao saiu)\b.{0,30}\b(serasa|spc|negativad\w*|nome sujo)\b",
)
HARDSHIP = (
    r"\b(fui demitid[oa]|perdi (o|meu) (emprego|trampo|servico|trabalho)|fiquei desempregad[oa]|me mandaram embora)",
    r"\bnao vou (conseguir|dar conta de|poder) pagar (a|as) (proxima|proximas|outra|outras|parcela|parcelas)\b",
    r"\b(apertou|apertado|sem dinheiro|nao tenho como pagar)\b.{0,30}\b(parcela|proxima|boleto)\b",
)
REGISTERED = (
    r"\b(ficou|ta|esta|foi|fica) (mesmo )?(registrad\w*|anotad\w*|salv\w*|valendo|confirmad\w*)\b.{0,40}\?",
    r"\b(isso|o acordo) (ficou|ta|esta|foi) (mesmo )?(registrad\w*|anotad\w*|salv\w*|valendo)\b",
    r"\b(nao tem|sem|nenhum) (papel|contrato|comprovante|documento)\b",
    r"\b(depois|e se)\b.{0,40}\b(disserem|falarem|dizerem|alegarem|acharem) (q|que) (eu )?(nao|n) (paguei|pagei|pago)",
)

ORDERED: list[tuple[AfterDeal, re.Pattern[str]]] = [
    # Someone else's number first: "manda o boleto de novo pro zap da minha filha" is never a plain resend.
    (AfterDeal.other_number, _any(*OTHER_NUMBER)),
    (AfterDeal.other_debt, _any(*OTHER_DEBT)),
    (AfterDeal.pay_error, _any(*PAY_ERROR)),
    # Money paid wrong or twice, a job lost, "ficou registrado?": each before "paguei" and the second copy.
    (AfterDeal.money_back, _any(*MONEY_BACK)),
    (AfterDeal.hardship, _any(*HARDSHIP)),
    (AfterDeal.registered, _any(*REGISTERED)),
    # "pagar antes do vencimento" speaks of the due date without moving it.
    (AfterDeal.early_payment, _any(*EARLY_PAYMENT)),
    (AfterDeal.date_change, _any(*DATE_CHANGE)),
    (
        AfterDeal.change,
        _any(
            *CHANGE,
            r"\b(prefiro|preferia|quero|queria|vou)\b.{0,10}\b(pagar|quitar) (tudo|o resto"
            r"|o restante|o saldo)( de uma vez| a vista| agora| logo)?\b",
        ),
    ),
    (AfterDeal.cancel, _any(*CANCEL)),
    (AfterDeal.discharge, _any(*DISCHARGE)),
    (AfterDeal.beneficiary, _any(*BENEFICIARY)),
    # "o boleto não veio, eu pago no caixa": the boleto is what is missing; where to pay comes after.
    (AfterDeal.resend, _any(*RESEND)),
    # "paguei na lotérica", "paguei a primeira, quando vence a próxima?": the payment told comes first.
    # "Paguei e meu nome continua no Serasa": the time it takes is the question, not the payment told.
    (AfterDeal.how_long, _any(*HOW_LONG)),
    (AfterDeal.paid, _any(*PAID)),
    (AfterDeal.where_to_pay, _any(*WHERE_TO_PAY)),
    (AfterDeal.terms, _any(*TERMS)),
    (AfterDeal.thanks, _any(*THANKS)),
    (AfterDeal.ack, _any(*ACK)),
]
# "Não quero cancelar, só mudar a data": a negated ask is not the one meant, whatever else is asked.
_NEGATED_ASK: dict[AfterDeal, re.Pattern[str]] = {
    AfterDeal.cancel: re.compile(_NEGATED + r"(cancel|desist|desfaz)"),
    AfterDeal.change: re.compile(_NEGATED + r"(mudar|trocar|alterar|refazer)"),
    AfterDeal.date_change: re.compile(_NEGATED + r"(mudar|trocar|alterar|adiar|remarcar)"),
    # "Prefiro pagar tudo de uma vez" after a plan: a change to cash (the new total shown), not advice.
    AfterDeal.early_payment: re.compile(
        _NEGATED + r"(antecip|adiant|pagar antes)"
        r"|^(?!.*\b(antes|adiant|antecip))"
        r".*\b(prefiro|preferia|quero|queria|vou)\b.{0,10}\b(pagar|quitar) (tudo|o resto|o restante|o saldo)"
    ),
}
AUDIO_KINDS = frozenset({"audio", "voice"})
IMAGE_KINDS = frozenset({"image", "document"})  # a photo or a PDF after a deal: most often a receipt
REACTION_KINDS = frozenset({"reaction"})  # a ❤️ or 👍 on the bot's message: an ok, never "can't open this"


_PAID_ANY = _any(*PAID)


def says_paid(text: str) -> bool:
    """The message tells of a payment made ("já paguei a primeira"), whatever else it asks."""
    t = normalize(text)
    return _PAID_ANY.search(t) is not None and not (_NOT_PAID.search(t) and not re.search(r"\b(ja|agora) paguei\b", t))


def read(text: str | None, kind: str = "text") -> AfterDeal | None:
    """The kind of after-agreement message this is; None when none of the families says it."""
    if kind in AUDIO_KINDS:
        return AfterDeal.audio
    if kind in IMAGE_KINDS:
        return AfterDeal.image
    if kind in REACTION_KINDS:
        return AfterDeal.ack
    t = normalize(text or "")
    if not t:
        return AfterDeal.media if kind not in ("text", "button", "interactive") else None
    for found, pattern in ORDERED:
        if not pattern.search(t):
            continue
        negated = _NEGATED_ASK.get(found)
        if negated is not None and negated.search(t):
            continue
        if found is AfterDeal.paid and _NOT_PAID.search(t) and not re.search(r"\b(ja|agora) (paguei|foi)\b", t):
            continue
        if found in (AfterDeal.thanks, AfterDeal.ack) and _TERMS_SAID.search(t):
            continue
        return found
    return None


# --- what the bot answers ------------------------------------------------------------------------

# 2–3 phrasings each, picked by the thread's turn counter: two turns in a row never read the same.
REPLIES: dict[AfterDeal, tuple[str, ...]] = {
    AfterDeal.where_to_pay: (
        "Pode sim! Não precisa ter conta em banco: o boleto se paga em qualquer lotérica, agência bancária ou "
        "correspondente (Caixa Aqui), é só levar o código de barras ou a linha digitável. E o PIX dá pra pagar "
        "pelo app de qualquer banco, inclusive o Caixa Tem.",
        "Dá, sim 🙂 O boleto vale em qualquer lotérica, agência ou correspondente bancário, sem precisar de conta: "
        "você paga com o código de barras, em dinheiro. Se tiver algum app de banco (o Caixa Tem serve), também "
        "dá pelo PIX.",
        "Claro! Lotérica, agência, correspondente bancário ou app de banco: todos aceitam o boleto, e conta em banco "
        "não é necessária pra pagar na lotérica. O código PIX funciona em qualquer app de banco, o Caixa Tem "
        "inclusive.",
    ),
    AfterDeal.pay_error: (
        "Vamos resolver! Às vezes o app recusa quando o código vai cortado. Toque e segure na mensagem que tem só "
        "o código, copie ele inteiro (sem espaço nem quebra de linha) e cole em *Pix copia e cola* no app do banco. "
        "Se mesmo assim não for, dá pra pagar pela linha digitável do boleto. Quer que eu te mande a 2ª via? E se "
        "continuar dando erro, escreva *atendente* que uma pessoa da equipe te ajuda.",
        "Poxa, que chato! Tenta assim: copie o código PIX inteirinho, sem espaços ou quebras de linha, e use a opção "
        "*Pix copia e cola* do app (não a de chave PIX). Outra saída é pagar o boleto pela linha digitável ou numa "
        "lotérica. Posso te mandar a 2ª via, e se o erro continuar, é só escrever *atendente*.",
    ),
    AfterDeal.early_payment: (
        "Pode sim! Adiantar é sempre permitido: é só pagar o boleto antes do vencimento. O valor das parcelas "
        "continua o mesmo, porque o desconto do parcelado já está nele. Desconto maior, só trocando o acordo pra "
        "à vista. Quer ver quanto fica? Me diz *quero à vista* que eu te mostro, e você decide.",
        "Pagar antes pode, sempre, sem nenhum problema. Só que o desconto a mais vem só se o acordo virar à vista: "
        "aí a gente refaz as condições. Se quiser, escreve *quero à vista* que eu te mostro o valor.",
    ),
    AfterDeal.other_debt: (
        "Nesta conversa, pro seu CPF, aparece só esta dívida com a {creditor}, a do acordo que a gente fechou. "
        "Se quiser conferir qualquer outra coisa, escreva *atendente* que uma pessoa da equipe verifica pra você.",
        "Por aqui consta só essa, a do acordo que você fechou com a {creditor}. Pra consultar outra conta ou "
        "contrato, escreva *atendente* que alguém da equipe olha com você.",
    ),
    AfterDeal.other_number: (
        "Por segurança, o boleto e o código PIX só vão pra este número, o do titular. Mas dá pra você passar "
        "adiante: toque e segure no PDF (ou na mensagem do código), depois em *Encaminhar*, e escolha o contato. "
        "Se ficar difícil, peça pra pessoa te ajudar daí.",
        "Pra proteger seus dados, eu só mando os documentos do acordo aqui, pra este número. Dá pra encaminhar "
        "daí: segure o dedo em cima do boleto, toque em *Encaminhar* e escolha pra quem vai.",
    ),
    AfterDeal.date_change: (
        "Dá pra ver, sim! Pra qual dia você quer o 1º vencimento? As parcelas e o valor continuam os mesmos.",
        "Claro! Me diz o dia que fica melhor pra você (tipo *dia 10*) que eu ajusto o vencimento, sem mudar o resto.",
    ),
    AfterDeal.thanks: (
        "De nada! Fico feliz em ajudar 💙 Qualquer coisa do acordo, é só me chamar por aqui.",
        "Imagina! Que bom que ficou resolvido. Se precisar, estou por aqui.",
        "Eu que agradeço! Conte comigo pro que precisar. Um abraço!",
    ),
    AfterDeal.ack: (
        "Combinado! Se precisar de algo do acordo, é só me chamar por aqui.",
        "Certinho. Estou por aqui se surgir qualquer dúvida.",
        "Tudo certo, então! Qualquer coisa, é só me escrever.",
    ),
    AfterDeal.money_back: (
        "Entendi, e nada se perde: todo pagamento fica registrado no banco, no seu nome. Já passei pra equipe "
        "conferir, e ela te responde por aqui: o que foi pago a mais é devolvido ou abatido, e se faltou alguma "
        "coisa, ela te manda o valor certinho da diferença. Guarde o comprovante, por favor.",
        "Pode deixar, já avisei a equipe: ela confere no banco o que entrou e te responde por aqui, com a "
        "devolução ou o abatimento do que passou do valor, ou com o que falta pagar. O comprovante é a sua "
        "garantia, então guarde ele.",
    ),
    AfterDeal.how_long: (
        "PIX compensa na hora e boleto em até 3 dias úteis. Depois que o pagamento compensa, o credor tem até 5 "
        "dias úteis pra pedir a retirada do seu nome do Serasa e do SPC (Súmula 548 do STJ). Se passar disso, "
        "escreva *atendente* que a equipe verifica.",
        "O prazo é assim: o pagamento compensa (PIX na hora, boleto em até 3 dias úteis) e, a partir daí, o "
        "credor tem até 5 dias úteis pra pedir a baixa do seu nome no Serasa e no SPC. Passou disso, me avisa "
        "que a equipe verifica.",
    ),
    AfterDeal.hardship: (
        "Poxa, sinto muito 😞 Não precisa ficar sem pagar: dá pra refazer o acordo em mais parcelas, com valor "
        "menor. Me diz em quantas vezes, ou quanto cabe por mês, que eu te mostro como fica. Se preferir, escreva "
        "*atendente*.",
        "Sinto muito mesmo. A gente pode refazer o acordo pra caber: mais parcelas, valor menor por mês. Me diz "
        "quanto dá por mês que eu monto, sem pressa.",
    ),
    AfterDeal.registered: (
        "Ficou, sim: o acordo está registrado no sistema da {creditor}, com data e valores, e o boleto em PDF que "
        "te mandei é o seu documento. Quando você paga, o banco registra o pagamento, e o comprovante é a sua "
        "garantia: guarde ele. Se quiser uma confirmação por escrito, escreva *atendente*.",
        "Está registrado, pode confiar: o boleto sai no nome da {creditor} e o banco guarda cada pagamento feito "
        "nele. Guardando o comprovante, ninguém pode dizer que você não pagou. Qualquer dúvida, a equipe "
        "confere pra você (escreva *atendente*).",
    ),
    AfterDeal.beneficiary: (
        "O boleto e o PIX saem em nome da {creditor}: é esse nome que aparece como beneficiário no app do banco "
        "ou na lotérica. Confira antes de confirmar o pagamento; se aparecer qualquer outro nome, não pague e me "
        "avise aqui.",
        "Em nome da {creditor}, sempre. Na hora de pagar, o app do banco mostra o beneficiário: se for outro nome, "
        "não conclua o pagamento e me chama aqui.",
    ),
    AfterDeal.discharge: (
        "Pode pedir, sim! Depois que o último pagamento compensar (PIX na hora, boleto em até 3 dias úteis), a "
        "{creditor} emite a declaração de quitação. É só escrever *atendente* aqui que uma pessoa da equipe te "
        "envia o documento. Até lá, o boleto pago com o comprovante já prova cada pagamento.",
        "Claro! A declaração de quitação sai depois que o acordo estiver todo pago e compensado. Aí é só me "
        "escrever *atendente* que a equipe da {creditor} te manda. Guarde os comprovantes até lá.",
    ),
    AfterDeal.audio: (
        "Ainda não consigo ouvir áudio por aqui, desculpa 🙈 Pode me escrever? Aí te respondo na hora.",
        "Áudio eu não consigo abrir ainda. Se puder, me manda por escrito, que eu te ajudo rapidinho.",
    ),
    AfterDeal.image: (
        "Obrigada por mandar! Se for o comprovante, fica em paz: nem precisa enviar, a confirmação chega "
        "pra gente direto do banco, automaticamente. No PIX ela sai na hora; no boleto, em até 3 dias úteis. Se era "
        "outra coisa, me escreve, que imagem eu ainda não consigo ver.",
        "Recebi, obrigada! Se for comprovante, não se preocupa: o banco avisa a gente sozinho. PIX compensa na hora "
        "e boleto em até 3 dias úteis, e não precisa mandar comprovante. Se for outra coisa, me conta por escrito.",
    ),
    AfterDeal.media: (
        "Esse tipo de mensagem eu ainda não consigo abrir. Se precisar de algo do acordo, me escreve que eu te ajudo.",
        "Não consegui abrir essa, desculpa! Me conta por escrito se precisar de alguma coisa.",
    ),
}
PAID_LEAD = ("Que bom, obrigada por avisar!", "Obrigada por me contar!", "Certinho, obrigada por avisar!")
FALLBACK = (
    "Seu acordo está registrado: {summary}. Se quiser, te mando a 2ª via do boleto, mudo as condições ou cancelo "
    "(antes do primeiro pagamento). É só me dizer.",
    "Por aqui está tudo certo com o seu acordo ({summary}). Posso reenviar o boleto, ajustar a data ou as "
    "parcelas, ou tirar uma dúvida: me conta do que você precisa.",
    "Seu acordo segue de pé: {summary}. Se precisar de algo, como a 2ª via, outra data ou outro parcelamento, "
    "me escreve com suas palavras.",
)


def pick(options: Sequence[str], n: int) -> str:
    return options[n % len(options)]


def say(kind: AfterDeal, n: int, *, creditor: str = "") -> str:
    """The reply of a kind answered by words alone (the others go to the flow's existing paths)."""
    return pick(REPLIES[kind], n).format(creditor=creditor)


def early_payment_text(n: int, *, cash: bool, total_cents: int | None) -> str:
    if not cash:
        return say(AfterDeal.early_payment, n)
    # A cash agreement already has the cash discount: nothing better to offer, and no change to suggest.
    total = f" de {brl(total_cents)}" if total_cents else ""
    return pick(
        (
            f"Pode pagar antes do vencimento sim, quando quiser! O seu acordo já é à vista, com o maior desconto, "
            f"então o valor{total} continua o mesmo.",
            f"Pagar antes pode, sempre. Como o acordo já é à vista, o desconto já é o máximo: o valor{total} não muda.",
        ),
        n,
    )


def paid_text(n: int, so_far: str) -> str:
    """A claimed payment: thanked, then what the bank has confirmed (the flow's `_paid_so_far`)."""
    return f"{pick(PAID_LEAD, n)} {so_far}"


def fallback_text(n: int, summary: str) -> str:
    return pick(FALLBACK, n).format(summary=summary)


def _month_note(due: date, today: date) -> str:
    months = (due.year - today.year) * 12 + due.month - today.month
    if months == 0:
        return ", ainda este mês"
    if months == 1:
        return ", no mês que vem"
    return ""


def terms_text(
    n: int,
    *,
    today: date,
    due: date,
    amount_cents: int,
    installment: int,
    installments: int,
    total_cents: int | None = None,
) -> str:
    """When the next payment falls and how much it is, from the agreement ("vence esse mês?" answered too)."""
    when = f"{due:%d/%m/%Y}{_month_note(due, today)}"
    if installments <= 1:
        return pick(
            (
                f"O pagamento à vista, de {brl(amount_cents)}, vence em {when}.",
                f"Seu boleto à vista é de {brl(amount_cents)} e vence em {when}.",
            ),
            n,
        )
    rest = installments - installment
    after = (
        f" As outras {rest} vencem no mesmo dia dos meses seguintes."
        if rest > 1
        else " A última vence no mesmo dia do mês seguinte."
        if rest == 1
        else ""
    )
    total = f" O total do acordo é {brl(total_cents)}." if total_cents else ""
    return pick(
        (
            f"A parcela {installment} de {installments}, de {brl(amount_cents)}, vence em {when}.{after}{total}",
            f"Ficou assim: a parcela {installment} de {installments} é de {brl(amount_cents)} e vence em {when}."
            f"{total}{after}",
        ),
        n,
    )
