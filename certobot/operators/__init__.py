"""Operators as people: accounts with roles, short-lived tokens, and an audit log of what each did."""
