"""Findings (第十八条, R18.1; 第十三条, R13.1): the rules the other domains make checkable, each a
small check feeding one collector; a finding names the person, the clause and the evidence, and
goes through a review in which the person concerned can answer."""
