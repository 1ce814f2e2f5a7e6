"""The sending side of the WhatsApp channel, shared by the bot and the CRM.

`channel` is the seam (`ChannelSender`, `ProviderError`, `SendResult`, `opening_text`); behind it
Meta's Cloud API (`graph` the client, `meta` the sender) and a WAHA server (`waha.client` the REST
client, `waha.sender` the sender). Constructors take plain values, never a service's settings: each
service builds its sender from its own settings. Receiving (webhooks, signatures, parsing into a
service's own types) belongs to the service that receives.
"""
