"""Demo data for trying lawcam: ``lawcam demo`` seeds it into an empty home and serves it."""

from lawcam.demo.seed import DEMO_PASSWORD, DemoLogin, demo_logins, is_seeded, seed

__all__ = ["DEMO_PASSWORD", "DemoLogin", "demo_logins", "is_seeded", "seed"]
