"""The creditor's negotiation policy, per creditor and segment: stored, validated, audited, cached."""
