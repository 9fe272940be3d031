"""Documents filed beside the evidence: a written report's scanned page, later a complaint or
a petition behind a finding. Stored write-once with their digests like originals, but they are
not recordings: never counted, linked or played as one (第十条, 第十八条)."""
