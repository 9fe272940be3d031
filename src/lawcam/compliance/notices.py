"""Notices at each step of a finding's review (第十八条), sent through the inbox
(``lawcam.custody.notices``: one INSERT, each notice audited as ``compliance:notification:create``,
never to the actor):

- found (a sweep, a manual record, a verify run): the person concerned, once per sweep with how
  many (a first sweep finds thousands); what verify finds with nobody named (tampering, a
  missing original), the security administrators and the auditors;
- a statement made: the unit heads of the finding's unit, who decide;
- decided (认定 / 不予认定): the person concerned and engineering supervision, who may review;
- reviewed (维持 / 改变): the person concerned and the unit heads.

A statement deadline passing unheard tells nobody: the decision waits on it, and the unit
head's home lists what may be decided."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from lawcam.authz import Actor, Role
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.custody.notices import Notice, role_holders, send, unit_heads
from lawcam.org.models import Person
from lawcam.timeutil import local

SECURITY_ROLES = (Role.SECADMIN, Role.AUDITOR)
# What verify records with nobody named goes to the security staff (第十八条第（四）（五）项).
VERIFY_RULES = frozenset({str(Rule.TAMPERING), str(Rule.OBJECT_MISSING)})
PENDING_LIST = "/findings?status=pending"
# The audit tag of a finding's notices: compliance's, beside custody's fault notices.
NOTIFIED = "compliance:notification:create"


def new_findings(session: Session, actor: Actor, made: Sequence[Finding]) -> None:
    """One notice per person for what one sweep (or record) found."""
    if not made:
        return
    mine: dict[int, list[Finding]] = defaultdict(list)
    unnamed: list[Finding] = []
    for finding in made:
        if finding.person_id is not None:
            mine[finding.person_id].append(finding)
        elif finding.rule in VERIFY_RULES:
            unnamed.append(finding)
    notices = [Notice(person, *_found_text(found)) for person, found in mine.items()]
    if unnamed:
        text, link = _verify_text(unnamed)
        notices += [Notice(p, text, link) for p in role_holders(session, SECURITY_ROLES)]
    _send(session, actor, notices)


def statement_made(session: Session, actor: Actor, finding: Finding) -> None:
    text = (
        f"{_name(session, finding.person_id)}对执法过错 #{finding.id}（{_rule(finding)}）"
        "提交了陈述申辩，请作出认定或不予认定的决定。"
    )
    heads = unit_heads(session, finding.unit_id)
    _send(session, actor, [Notice(p, text, _link(finding)) for p in heads])


def decided(session: Session, actor: Actor, finding: Finding) -> None:
    what = _decision(finding)
    notices = []
    if finding.person_id is not None:
        reason = finding.decision_reason.rstrip("。；;. ")
        text = f"关于您的执法过错 #{finding.id}（{_rule(finding)}）已{what}。理由：{reason}"
        if finding.measure:
            text += f"；问责措施：{finding.measure.rstrip('。；;. ')}"
        text += "。"
        notices.append(Notice(finding.person_id, text, _link(finding)))
    about = f"，当事人 {_name(session, finding.person_id)}" if finding.person_id else ""
    text = (
        f"{_name(session, actor.person_id, actor.label)}对执法过错 #{finding.id}"
        f"（{_rule(finding)}{about}）作出决定：{what}。可予复核。"
    )
    notices += [Notice(p, text, _link(finding)) for p in role_holders(session, [Role.ENGINEERING])]
    _send(session, actor, notices)


def reviewed(session: Session, actor: Actor, finding: Finding) -> None:
    if finding.status == FindingStatus.OVERTURNED:
        outcome = f"改变原决定（原决定：{_decision(finding)}）"
    else:
        outcome = f"维持原决定（{_decision(finding)}）"
    said = f"工程监管处复核执法过错 #{finding.id}（{_rule(finding)}），{outcome}。复核意见：{finding.review_reason}"
    people = [finding.person_id] if finding.person_id is not None else []
    people += unit_heads(session, finding.unit_id)
    _send(session, actor, [Notice(p, said, _link(finding)) for p in people])


def _send(session: Session, actor: Actor, notices: list[Notice]) -> None:
    send(session, actor, notices, NOTIFIED)


def _found_text(found: list[Finding]) -> tuple[str, str]:
    due = min((f.statement_due for f in found if f.statement_due is not None), default=None)
    until = f"您可在 {local(due)} 前陈述申辩。" if due is not None else ""
    if len(found) == 1:
        [finding] = found
        said = (
            f"发现关于您的执法过错 #{finding.id}（{_rule(finding)}，{finding.article}），"
            f"待核实：{finding.summary.rstrip('。')}"
        )
        return f"{said}。{until}", _link(finding)
    return f"发现关于您的 {len(found)} 条执法过错（{_rules(found)}），待核实。{until}", PENDING_LIST


def _verify_text(found: list[Finding]) -> tuple[str, str]:
    if len(found) == 1:
        [finding] = found
        return f"校验发现{_rule(finding)}（{finding.article}）：{finding.summary}", _link(finding)
    return f"校验发现 {len(found)} 处问题（{_rules(found)}），待核实。", PENDING_LIST


def _rules(found: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for finding in found:
        counts[_rule(finding)] = counts.get(_rule(finding), 0) + 1
    return "、".join(f"{label} {n} 条" for label, n in counts.items())


def _rule(finding: Finding) -> str:
    return Rule(finding.rule).label


def _decision(finding: Finding) -> str:
    return "认定" if finding.decision == FindingStatus.CONFIRMED else "不予认定"


def _link(finding: Finding) -> str:
    return f"/findings/{finding.id}"


def _name(session: Session, person_id: int | None, otherwise: str = "") -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else otherwise
