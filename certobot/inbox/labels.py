"""The words a collection team reads, in Portuguese, for the codes the API keeps in English."""

from __future__ import annotations

STATUS = {
    "active": "Com a assistente",
    "handoff": "Com atendente",
    "completed": "Encerrada",
    "failed": "Falhou",
    "abandoned": "Sem resposta",
}
PHASE = {
    "validation": "Confirmando identidade",
    "negotiation": "Negociando",
    "agreement": "Fechando acordo",
    "completion": "Finalizada",
}
# Shown before anything else on the row, and the reason it is listed first.
ATTENTION = {
    "crisis": "Risco de vida: falou em tirar a própria vida",
}
OUTCOME = {
    None: "Em andamento",
    "successful": "Acordo fechado",
    "partially_successful": "Promessa de pagamento",
    "unsuccessful": "Sem acordo",
    "no_contact": "Sem contato",
}


def outcome_label(kind: str | None) -> str:
    # Outcome kinds grow with the conversation flow; a new one shows readable rather than blank.
    return OUTCOME.get(kind) or (kind or "").replace("_", " ").capitalize()
