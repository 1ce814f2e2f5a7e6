"""Data-subject requests on the CRM's side: export a debtor's data, anonymise it."""
