"""Protections that cut across the bot's domains: identity lockout, blocked phones, limits, headers."""
