"""Demo data for trying lawcam: ``lawcam demo`` seeds it into an empty home and serves it."""

from lawcam.demo.equipment import equipment_summary, summary_lines
from lawcam.demo.seed import DEMO_PASSWORD, DemoLogin, demo_logins, is_seeded, seed

__all__ = [
    "DEMO_PASSWORD",
    "DemoLogin",
    "demo_logins",
    "equipment_summary",
    "is_seeded",
    "seed",
    "summary_lines",
]
