"""The audit log: one append-only row for every change, written in the caller's transaction."""
