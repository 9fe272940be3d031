"""Penalty cases, legal holds, effective retention and disposal (第十四条第（二）项、第（三）项, 第十五条).

A recording's original is kept at least two years, and as long as the case file of every
administrative penalty case it serves; a hold keeps it beyond any date; nothing is disposed
of but by a batch two other people approved, and the store itself refuses an early deletion.
"""
