"""WAHA (WhatsApp HTTP API, github.com/devlikeapro/waha), the sending side: `client` (REST) and
`sender` (the `ChannelSender`: chat ids, pacing, "digitando…", the opening as text)."""
