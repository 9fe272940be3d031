"""Database: declarative base, engine and session factory, the unit of work, migrations."""

from lawcam.db.base import Base, UTCDateTime
from lawcam.db.engine import Database, make_engine

__all__ = ["Base", "Database", "UTCDateTime", "make_engine"]
