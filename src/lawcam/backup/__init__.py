"""Backup and restore of a whole lawcam: the database, the home's keys and a manifest."""
