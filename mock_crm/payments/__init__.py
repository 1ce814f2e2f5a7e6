"""Payments as a bank or PSP reports them, matched to a boleto, and the bot told about them."""
