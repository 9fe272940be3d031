"""Recordings: workstation ingest, media facts, upload deadlines and retention (Art. 14, 15)."""
