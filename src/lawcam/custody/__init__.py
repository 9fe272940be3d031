"""Custody (Art. 9, 11, 16, 17): checkout, return and handover with pre-use checks, the ledger,
faults and central repair, loss and damage with compensation."""
