"""LGPD by design: what operators and debtors are shown of personal data, and what debtors are told."""
