"""WAHA (WhatsApp HTTP API, github.com/devlikeapro/waha): the self-hosted, unofficial channel.

Only this package knows WAHA's wire format: `client` (REST), `schemas` (webhook events),
`signature` (X-Webhook-Hmac), `provider` (the `Provider` implementation) and `router`
(`POST /webhooks/waha`).
"""
