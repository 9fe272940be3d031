"""Organisation: units, case-handling zones, people, roles, accounts, sessions and tokens."""
