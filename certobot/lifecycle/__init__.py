"""After the "sim": receipts when the CRM reports a payment, reminders before due dates, follow-ups."""
