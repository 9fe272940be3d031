"""``python -m lawcam.cli`` runs the same commands as ``lawcam``."""

from lawcam.cli.main import run

run()
