"""The command line: ``lawcam [--home DIR] COMMAND``; one command group per domain."""
