"""WAHA (WhatsApp HTTP API, github.com/devlikeapro/waha): the self-hosted, unofficial channel.

Sending (REST client, pacing, chat ids) is the kernel's `certokit.whatsapp.waha`, shared with the
CRM. The bot's receiving side is here: `schemas` (webhook events), `signature` (X-Webhook-Hmac),
`provider` (the bot's `Provider`: the kernel's sender plus webhook parsing, and `build_waha`) and
`router` (`POST /webhooks/waha`).
"""
