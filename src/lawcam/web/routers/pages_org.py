"""Placeholder router, filled in by the page work for this domain."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
