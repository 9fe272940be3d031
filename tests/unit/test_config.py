"""Settings from the environment: every documented variable is read, a bad value is refused in
Chinese naming its variable, and the regulation's floors cannot be configured away."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lawcam.config import PasswordPolicy, Settings, load_settings
from lawcam.errors import InvalidInput

DOCS = Path(__file__).parents[2] / "docs" / "operations.md"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LAWCAM_") and not name.startswith("LAWCAM_ARGON2_"):
            monkeypatch.delenv(name)


def test_defaults_without_environment() -> None:
    settings = load_settings()
    assert settings.home == Path("./lawcam-data")
    assert settings.retention_years == 2 and settings.upload_deadline_hours == 24
    assert settings.secure_cookies is False and settings.storage_url is None
    assert settings.password == PasswordPolicy(min_length=8, min_classes=3)


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAWCAM_HOME", str(tmp_path))
    monkeypatch.setenv("LAWCAM_DATABASE_URL", "postgresql+psycopg://lawcam@db/lawcam")
    monkeypatch.setenv("LAWCAM_SECURE_COOKIES", "Yes")
    monkeypatch.setenv("LAWCAM_CHECKOUT_MIN_FREE_HOURS", "6.5")
    monkeypatch.setenv("LAWCAM_RETENTION_YEARS", " 5 ")
    monkeypatch.setenv("LAWCAM_STORAGE_URL", "")
    monkeypatch.setenv("LAWCAM_STORAGE_SHARED", "true")  # PostgreSQL and the home's folder
    monkeypatch.setenv("LAWCAM_PASSWORD_MIN_LENGTH", "12")
    settings = load_settings()
    assert settings.storage_shared is True
    assert settings.home == tmp_path
    assert settings.resolved_database_url == "postgresql+psycopg://lawcam@db/lawcam"
    assert settings.secure_cookies is True
    assert settings.checkout_min_free_hours == 6.5
    assert settings.retention_years == 5
    assert (
        settings.resolved_storage_url == (tmp_path / "objects").resolve().as_uri()
    )  # empty: unset
    assert settings.password.min_length == 12


def test_home_given_on_the_command_line_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWCAM_HOME", "/srv/elsewhere")
    assert load_settings(Path("/srv/lawcam")).home == Path("/srv/lawcam")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LAWCAM_RETENTION_YEARS", "abc"),
        ("LAWCAM_SECURE_COOKIES", "maybe"),
        ("LAWCAM_CHECKOUT_MIN_FREE_HOURS", "八"),
        ("LAWCAM_PASSWORD_MIN_CLASSES", "3.5"),
    ],
)
def test_an_unreadable_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    assert name in refused.value.message and value in refused.value.message
    assert re.search(r"[\u4e00-\u9fff]", refused.value.message)


@pytest.mark.req("R14.2")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LAWCAM_RETENTION_YEARS", "1"),  # the regulation's floor: two years
        ("LAWCAM_UPLOAD_DEADLINE_HOURS", "0"),
        ("LAWCAM_CHECKOUT_MIN_BATTERY_PCT", "101"),
        ("LAWCAM_PASSWORD_MIN_LENGTH", "3"),
    ],
)
def test_a_value_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput, match=f"{name} 的值“{value}”应不(小|大)于"):
        load_settings()


def test_several_bad_values_are_named_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAWCAM_RETENTION_YEARS", "1")
    monkeypatch.setenv("LAWCAM_LOCKOUT_MINUTES", "abc")
    with pytest.raises(InvalidInput) as refused:
        load_settings()
    message = refused.value.message
    assert "LAWCAM_RETENTION_YEARS" in message and "LAWCAM_LOCKOUT_MINUTES" in message
    assert "http" not in message  # pydantic's own text links to a website


def test_the_operations_manual_lists_every_variable() -> None:
    manual = DOCS.read_text(encoding="utf-8")
    names = [f"LAWCAM_{name.upper()}" for name in Settings.model_fields if name != "password"]
    names += [f"LAWCAM_PASSWORD_{name.upper()}" for name in PasswordPolicy.model_fields]
    missing = [name for name in names if f"`{name}`" not in manual]
    assert not missing, missing
