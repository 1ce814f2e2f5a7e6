"""Prometheus metrics of the bot, declared once; `/metrics` renders them.

With several processes, each exposes its own; scrape every process (or set
PROMETHEUS_MULTIPROC_DIR, which prometheus-client supports, when they share a host).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

MESSAGES_IN = Counter("certobot_messages_in_total", "Mensagens recebidas do WhatsApp", ["kind"])
MESSAGES_OUT = Counter("certobot_messages_out_total", "Mensagens enviadas ao WhatsApp", ["result"])
WEBHOOK_LATENCY = Histogram(
    "certobot_webhook_seconds",
    "Tempo para aceitar um webhook (até o 200)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
REPLY_LATENCY = Histogram(
    "certobot_reply_seconds",
    "Do webhook ao envio da resposta",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0),
)
OUTCOMES = Counter("certobot_outcomes_total", "Conversas encerradas, por resultado", ["outcome"])
VALIDATION_FAILURES = Counter("certobot_validation_failures_total", "Tentativas de CPF que não conferiram")
IDENTITY_LOCKS = Counter(
    "certobot_identity_locks_total", "Autoatendimento bloqueado por tentativas de CPF erradas", ["subject"]
)
MODEL_FALLBACKS = Counter("certobot_model_fallbacks_total", "Turnos respondidos pelo motor offline por falha do modelo")
CRM_ERRORS = Counter("certobot_crm_errors_total", "Falhas ao falar com o CRM", ["operation"])
GRAPH_ERRORS = Counter("certobot_graph_errors_total", "Erros da Graph API", ["code"])


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
