"""Accounts: password policy, argon2id, lockout, timing, sessions, workstation tokens."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from lawcam.audit.models import AuditEvent
from lawcam.config import PasswordPolicy
from lawcam.errors import Conflict, InvalidInput
from lawcam.org import accounts, passwords, service
from lawcam.org.models import Account, ApiToken, LoginFailure, LoginSession
from lawcam.org.passwords import check_policy
from lawcam.org.types import PersonIn, UnitIn
from lawcam.timeutil import utcnow
from tests.factories import PASSWORD, build_office

BAD = accounts.BAD_CREDENTIALS


@pytest.mark.parametrize(
    "password",
    ["Short1!", "alllowercase", "lowerand123", "ALLUPPER123", "Passw0rd", "Qwerty123!", "ABCdef!!"],
)
def test_password_policy_refuses_weak_passwords(password: str) -> None:
    with pytest.raises(InvalidInput):
        check_policy(password, PasswordPolicy())


@pytest.mark.parametrize("password", ["Lawcam-2026!", "执法记录仪ab12#", "Zq7!mVp2#wK", PASSWORD])
def test_password_policy_accepts_strong_passwords(password: str) -> None:
    check_policy(password, PasswordPolicy(), ["u_officer", "测试执法人员", "T0000"])


@pytest.mark.parametrize(
    ("password", "words", "reason"),
    [
        ("Lawcam2026", ["lawcam"], "用户名、姓名或执法证号"),  # issue 13, seen 8
        ("Zhangsan-2026!", ["zhangsan"], "用户名、姓名或执法证号"),
        ("T0451-Secure!", ["wangwu", "王五", "T0451"], "用户名、姓名或执法证号"),
        ("Passw0rd", [], "常见密码"),  # issue 13, seen 8
        ("Password123!", [], "常见密码"),
    ],
)
def test_password_rules_refuse_own_words_and_common_patterns(
    password: str, words: list[str], reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as refused:
        check_policy(password, PasswordPolicy(), words)
    assert refused.value.details["field"] == "password"


def test_policy_is_configurable() -> None:
    with pytest.raises(InvalidInput, match="12"):
        check_policy("Lawcam-2026", PasswordPolicy(min_length=12))
    check_policy("lawcamlawcam", PasswordPolicy(min_classes=1, min_score=0))
    with pytest.raises(InvalidInput, match="容易被猜中"):
        check_policy("lawcamlawcam", PasswordPolicy(min_classes=1))


def _login(database, settings, username: str, password: str, source: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    with database.read() as session:
        check = accounts.check_password(
            accounts.stored_hash(session=session, username=username), password
        )
    with database.unit_of_work() as session:
        return accounts.authenticate(
            session=session, settings=settings, username=username, check=check, source=source
        )


def test_passwords_are_stored_as_argon2id(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with database.read() as session:
        stored = session.get_one(Account, office.accounts["sysadmin"]).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_guessing_throttles_the_source_not_the_account(database, settings, console) -> None:
    """Issue 13, seen 8: anyone could keep the auditor locked out by guessing. Now five failures
    throttle that source for that user name; the holder logs in from elsewhere."""
    office = build_office(database, settings, console)
    user = office.user("auditor")
    for _ in range(settings.lockout_failures):
        assert _login(database, settings, user, "wrong", "10.6.6.6").error == BAD
    throttled = _login(database, settings, user, PASSWORD, "10.6.6.6")
    assert throttled.account is None and throttled.error == BAD
    assert _login(database, settings, user, PASSWORD, "10.1.1.1").account is not None
    with database.read() as session:
        account = session.get_one(Account, office.accounts["auditor"])
        assert account.locked_until is None
        tags = session.scalars(
            select(AuditEvent.tag).where(
                AuditEvent.subject_id == str(account.id), AuditEvent.subject_type == "account"
            )
        ).all()
        assert tags.count("auth:session:login_failed") == 6 and "auth:account:lock" in tags
    # When the window has passed, the source may try again.
    with database.unit_of_work() as session:
        session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    assert _login(database, settings, user, PASSWORD, "10.6.6.6").account is not None


def test_a_source_guessing_many_names_is_throttled(database, settings, console) -> None:
    office = build_office(database, settings, console)
    limited = settings.model_copy(update={"login_source_failures": 3})
    for name in ("u_officer", "u_finance", "nobody"):
        assert _login(database, limited, name, "wrong", "10.6.6.6").error == BAD
    assert _login(database, limited, office.user("ict"), PASSWORD, "10.6.6.6").account is None
    assert _login(database, limited, office.user("ict"), PASSWORD, "10.1.1.1").account is not None


def test_throttled_answer_is_a_wrong_password_and_runs_argon2(
    database, settings, console, monkeypatch
) -> None:
    """Issue 13, seen 8: the lockout message differed from a wrong password, telling that the
    account exists. Now unknown, wrong and throttled answer alike, after one argon2 each."""
    build_office(database, settings, console)
    verified: list[str] = []
    real_verify = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    answers = {_login(database, settings, "u_ict", "wrong", "10.6.6.6").error for _ in range(7)}
    answers.add(_login(database, settings, "no_such_user", "wrong", "10.6.6.6").error)
    answers.add(_login(database, settings, "u_ict", PASSWORD, "10.6.6.6").error)
    assert answers == {BAD} and len(verified) == 9


def test_sysadmin_unlocks(database, settings, console) -> None:
    office = build_office(database, settings, console)
    for _ in range(5):
        _login(database, settings, office.user("finance"), "wrong")
    assert _login(database, settings, office.user("finance"), PASSWORD).account is None
    with database.unit_of_work() as session:
        accounts.unlock_account(
            session=session, actor=console, account_id=office.accounts["finance"]
        )
    assert _login(database, settings, office.user("finance"), PASSWORD).account is not None


@pytest.fixture
def production_argon2(monkeypatch):  # type: ignore[no-untyped-def]
    """The product's own argon2 cost (the suite lowers it in tests/conftest.py), for timing."""
    for name in (
        "LAWCAM_ARGON2_MEMORY_KIB",
        "LAWCAM_ARGON2_TIME_COST",
        "LAWCAM_ARGON2_PARALLELISM",
    ):
        monkeypatch.delenv(name, raising=False)
    passwords._hasher.cache_clear()
    passwords.dummy_hash.cache_clear()
    yield
    passwords._hasher.cache_clear()
    passwords.dummy_hash.cache_clear()


def test_unknown_users_cost_one_verification_like_known_ones(
    database, settings, console, monkeypatch
) -> None:
    build_office(database, settings, console)
    verified: list[str] = []
    real_verify = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash.split("$")[3])  # the argon2 parameters m=…,t=…,p=…
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counting)
    _login(database, settings, "u_ict", "wrong-password")
    _login(database, settings, "no_such_user", "wrong-password")
    assert len(verified) == 2 and verified[0] == verified[1]


def test_unknown_users_take_as_long_as_known_ones(
    database, settings, console, production_argon2
) -> None:
    with database.unit_of_work() as session:
        service.create_unit(session=session, actor=console, data=UnitIn(name="执法一处"))
        person = service.create_person(
            session=session, actor=console, data=PersonIn(name="甲", unit="执法一处")
        )
        accounts.create_account(
            session=session,
            actor=console,
            settings=settings,
            person_id=person.id,
            username="timed",
            password=PASSWORD,
        )

    def timed(username: str) -> float:
        start = time.perf_counter()
        _login(database, settings, username, "wrong-password")
        return time.perf_counter() - start

    # Interleaved, so that machine noise hits both alike; the fastest of each is argon2's real
    # cost (noise only adds: a median of three still caught a busy moment, 0.10 s against 0.04).
    known, unknown = [], []
    for _ in range(5):
        known.append(timed("timed"))
        unknown.append(timed("no_such_user"))
    ratio = min(unknown) / min(known)
    assert 0.5 < ratio < 2.0, (known, unknown)


def test_new_passwords_use_the_documented_argon2id_cost(production_argon2) -> None:
    # docs/security: OWASP's argon2id configuration, 19 MiB, 2 passes, 1 lane.
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_hashes_made_at_an_older_cost_still_verify(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    older = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash(PASSWORD)
    assert passwords.verify_password(older, PASSWORD)
    assert not passwords.verify_password(older, PASSWORD + "x")


def test_deactivated_accounts_cannot_log_in(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        accounts.set_account_active(
            session=session, actor=console, account_id=office.accounts["ict"], active=False
        )
    assert "停用" in (_login(database, settings, office.user("ict"), PASSWORD).error or "")


def test_session_idle_timeout(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        account = session.get_one(Account, office.accounts["officer"])
        key, _ = accounts.start_session(session=session, account=account)
    with database.unit_of_work() as session:
        assert accounts.resolve_session(session=session, settings=settings, key=key) is not None
        session.execute(
            update(LoginSession).values(
                last_seen_at=utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
            )
        )
    with database.unit_of_work() as session:
        assert accounts.resolve_session(session=session, settings=settings, key=key) is None


def test_tokens_are_stored_hashed_and_can_be_revoked(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with database.unit_of_work() as session:
        token, plain = accounts.create_token(
            session=session,
            actor=console,
            account_id=office.accounts["device_admin"],
            name="采集站-01",
        )
    with database.read() as session:
        stored = session.get_one(ApiToken, token.id)
        assert plain not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    with database.unit_of_work() as session:
        assert accounts.resolve_token(session=session, plain=plain) is not None
        assert accounts.resolve_token(session=session, plain=plain + "x") is None
        accounts.revoke_token(session=session, actor=console, token_id=token.id)
    with database.unit_of_work() as session:
        assert accounts.resolve_token(session=session, plain=plain) is None
        with pytest.raises(Conflict):
            accounts.revoke_token(session=session, actor=console, token_id=token.id)


def test_username_rules(database, settings, console) -> None:
    office = build_office(database, settings, console)
    with pytest.raises(InvalidInput), database.unit_of_work() as session:
        accounts.create_account(
            session=session,
            actor=console,
            settings=settings,
            person_id=office.people["other_unit_officer"],
            username="张三",
            password=PASSWORD,
        )
    with pytest.raises(Conflict), database.unit_of_work() as session:
        accounts.create_account(
            session=session,
            actor=console,
            settings=settings,
            person_id=office.people["other_unit_officer"],
            username="u_ict",
            password=PASSWORD,
        )
