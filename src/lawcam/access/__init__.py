"""Access by approval (第十五条): requests to view, download or provide recordings, decided by
the rule (one's own unit's head, the collecting unit's head, the office leader for outside
parties), grants that end, and every use and every refused attempt in the audit log."""
