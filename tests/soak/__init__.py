"""Long-running checks kept out of the normal suite (no file here is named ``test_*``).

``.venv/bin/python -m tests.soak.crash_soak --runs 500``: SIGKILL the ingest at random moments
(see crash_soak.py)."""
