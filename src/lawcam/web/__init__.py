"""The web interface: JSON API under /api/v1 and server-rendered Chinese pages."""
