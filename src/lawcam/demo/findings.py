"""Enforcement faults in the demo (第十八条, 第十二条, 第十三条): findings of every rule, played
through ``lawcam.compliance`` and the services that cause them, at their moments in the fortnight
(``clock_at``), like the other stories. Most causes are already in the demo — the service of
documents with no recording, the on-site penalty's unexplained gap, the card docked two days
late, the view refused after a grant expired, the 不规范 result of the conduct review — and a few
are added here:

- the device administrator corrects two entries: the investigation at 建设路 was not announced
  (第十二条), and the inspection at 滨江花园 ended six minutes later than entered (a gap at the
  end that nobody explained yet);
- a colleague tries three times to watch the on-site penalty's recordings without a grant;
- a nightly verify run records what it found (tampering; an original missing) — recorded as found
  on that night: the demo alters nothing, so today's ``lawcam verify`` is clean, and each says so;
- the unit head records a complaint passed on by the 12345 hotline, with the scanned letter.

Then the review: the morning sweep (the server's schedule) finds them; statements are made;
the unit head confirms three, each with its measure, and dismisses the missing original
(restored from the backup); engineering supervision's unit head dismisses the expired-grant
view after the officer's statement; engineering supervision upholds one confirmation and
overturns another; the gap at the end is explained late and the evening's sweep (engineering
supervision's, by hand) marks its findings cured. The rest wait, their statement window open
(officer1's home lists them). Each step leaves its notices in the inbox (消息): officer1 and
the unit head read theirs before they answer and decide; the decisions' and reviews' notices are
left unread."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.access import service as access
from lawcam.access.types import AccessAction, Refusal
from lawcam.activities import queries as activity_queries
from lawcam.activities import service as activities
from lawcam.activities.models import Activity, ActivityLink
from lawcam.activities.types import Cause
from lawcam.audit.integrity import IntegrityProblem
from lawcam.authz import Actor, Role, console_actor
from lawcam.compliance import service
from lawcam.compliance.models import Finding
from lawcam.compliance.types import FindingStatus, Rule
from lawcam.config import Settings
from lawcam.custody import faults
from lawcam.custody.queries import desk_actor, notifications_for
from lawcam.db import Database
from lawcam.demo.activities import demo_cast
from lawcam.demo.seed import CENTER, ENGINEERING
from lawcam.evidence.models import Recording
from lawcam.org import accounts
from lawcam.org.models import Account, Person, Unit
from lawcam.storage import BlobStore
from lawcam.timeutil import SHANGHAI, local, utcnow

Step = tuple[datetime, Callable[[], object]]
# The server's hourly sweep (web.findings_sweeps names itself the same way) and the nightly
# verify run by the service account.
SCHEDULE = Actor(label="system:定时巡检", source="system", console=True)
NIGHTLY = console_actor("lawcam")
NOT_ANNOUNCED_AT = "建设路人防工程出入口"  # the investigation (demo.activities)
ENDED_LATER_AT = "滨江花园地下车库"  # the inspection whose end is corrected
PENALTY_AT = "人民路 12 号 地下商场"  # the on-site penalty, its gap unexplained
DEMO_NOTE = "（演示数据：模拟该次校验的发现，演示并未改动任何记录，现在运行校验不会再报此问题）"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


@dataclass
class Plot:
    database: Database
    store: BlobStore
    settings: Settings

    def steps(self, days: list[date]) -> list[Step]:
        """``days``: the fortnight's working days, oldest first."""
        d = days[::-1]  # d[0]: the last working day before today
        return [
            (_at(d[3], 2, 10), self._nightly_verify),
            (_at(d[2], 10), self._not_announced),
            (_at(d[2], 10, 20), self._ended_later),
            (_at(d[1], 8, 30), lambda: self._sweep(SCHEDULE)),
            (_at(d[1], 9), self._complaint),
            (_at(d[1], 10), self._officer1_statements),
            (_at(d[1], 11), self._colleague_statement),
            (_at(d[1], 11, 30), self._officer2_statement),
            (_at(d[1], 14), self._head_decides),
            (_at(d[1], 15), self._engineering_head_decides),
            (_at(d[1], 15, 30), self._explained_late),
            *((_at(d[1], 16, 2 + 5 * n), self._refused_view(n)) for n in range(3)),
            (_at(d[0], 10), self._supervision_reviews),
            (_at(d[0], 11), self._restored),
            # After the conduct review's result (demo.access, d[0] 15:00).
            (_at(d[0], 17), lambda: self._sweep(None)),
        ]

    # the causes ---------------------------------------------------------------------------

    def _nightly_verify(self) -> None:
        """What that night's ``lawcam verify`` found, kept as findings (第十八条第（四）（五）项)."""
        with self.database.unit_of_work() as session:
            first, second = _recordings(session, 2)
            problems = [
                IntegrityProblem(
                    "recording_row_altered", f"recording:{first.id}",
                    "资料记录的“执法人员”与写入时的审计记录不一致" + DEMO_NOTE,
                ),
                IntegrityProblem(
                    "object_missing", f"recording:{second.id}",
                    f"对象存储中找不到原始文件 {second.sha256[:16]}…" + DEMO_NOTE,
                ),
            ]  # fmt: skip
            service.record_verified(session=session, actor=NIGHTLY, problems=problems)

    def _not_announced(self) -> None:
        """The administrator corrects an entry: the officers did not announce the recording."""
        self._amend(
            NOT_ANNOUNCED_AT,
            lambda a: replace(activities.current_data(a), announced=False),
            "复看现场录像，执法人员到场后未告知当事人正在录音录像，更正登记。",
        )

    def _ended_later(self) -> None:
        """…and another: the inspection ended six minutes after the recording stopped."""
        self._amend(
            ENDED_LATER_AT,
            lambda a: replace(
                activities.current_data(a), ended_at=a.ended_at + timedelta(minutes=6)
            ),
            "现场检查记录表记载检查结束时间比登记晚 6 分钟，按检查记录表更正。",
        )

    def _amend(
        self, place: str, data: Callable[[Activity], activities.ActivityData], why: str
    ) -> None:
        with self.database.unit_of_work() as session:
            admin = _login(session, "center_admin")
            activity = _activity(session, place)
            activities.amend_activity(
                session=session, actor=admin, settings=self.settings,
                activity_id=activity.id, data=data(activity), reason=why,
            )  # fmt: skip

    def _refused_view(self, n: int) -> Callable[[], object]:
        return lambda: self._refused(n)

    def _refused(self, n: int) -> None:
        """The on-site penalty's second officer opens its recordings without a grant (to
        answer the 复议), refused each time: three within a day make a finding (第十八条第（三）项)."""
        with self.database.unit_of_work() as session:
            activity = _activity(session, PENALTY_AT)
            ids = list(
                session.scalars(
                    select(ActivityLink.recording_id)
                    .where(ActivityLink.activity_id == activity.id)
                    .order_by(ActivityLink.recording_id)
                )
            )
            access.refused(
                session=session, actor=_colleague(session), recording_id=ids[n % len(ids)],
                action=AccessAction.VIEW, why=Refusal.NO_GRANT,
            )  # fmt: skip

    def _explained_late(self) -> None:
        """The gap at the end of 滨江花园 explained in writing after the sweep found it, and
        acknowledged: the evening's sweep marks its findings cured."""
        with self.database.unit_of_work() as session:
            officer1, admin = _login(session, "officer1"), _login(session, "center_admin")
            activity = _activity(session, ENDED_LATER_AT)
            [gap] = [
                g
                for g in activity_queries.interruptions_of(session, activity.id)
                if g.explanation is None
            ]
            text = "检查结束前记录仪存储卡已满，自动停止录像，现场填写检查记录表后离开。"
            scan = _scan("执法音像记录中断书面说明", _person(session, "officer1"), [
                "中断原因：存储已满", f"经过：{text}",
            ])  # fmt: skip
            activities.explain_written(
                session=session, actor=officer1, activity_id=activity.id, seq=gap.seq,
                cause=Cause.STORAGE_FULL, text=text,
                attachment=activities.Attachment(scan, "中断书面说明.pdf", self.store, self.settings),
            )  # fmt: skip
            activities.confirm(session=session, actor=admin, activity_id=activity.id, seq=gap.seq)

    # the findings' review -----------------------------------------------------------------

    def _sweep(self, actor: Actor | None) -> None:
        """The schedule's sweep (``actor``), or engineering supervision's by hand (None)."""
        with self.database.unit_of_work() as session:
            who = actor or _login(session, "engineering")
            service.run_sweep(session=session, actor=who, settings=self.settings)

    def _complaint(self) -> None:
        """第十八条第（二）项: the 12345 hotline passes on a complaint; the unit head records it
        about officer1 with the scanned letter."""
        with self.database.unit_of_work() as session:
            head = _login(session, "center_head")
            officer1 = _person(session, "officer1")
            said = (
                "12345 热线转来投诉：人民路 12 号地下商场经营者反映，当场处罚时执法人员言语生硬、"
                "未耐心解释处罚依据，引发围观并被发布到短视频平台。"
            )
            finding = service.record_manual(
                session=session, actor=head,
                data=service.ManualFinding(officer1.id, "二", said),
                statement_days=self.settings.findings_statement_days,
            )  # fmt: skip
            letter = _scan("12345 政务服务便民热线转办单", None, [
                "诉求类型：投诉", "被投诉单位：市人防事务服务与行政执法中心",
                "诉求内容：人民路 12 号地下商场被处罚时，执法人员态度生硬，",
                "未解释处罚依据，现场有人拍摄视频发布到网上。", "办理时限：5 个工作日",
            ])  # fmt: skip
            service.attach(
                session=session, actor=head, store=self.store, finding=finding,
                attachment=service.Attachment(letter, "12345转办单（扫描件）.pdf", self.settings),
                role="evidence",
            )  # fmt: skip

    def _officer1_statements(self) -> None:
        with self.database.unit_of_work() as session:
            officer1 = _login(session, "officer1")
            _read(session, officer1)  # the morning sweep's notice and the complaint's
            service.statement(
                session=session, actor=officer1,
                finding=_finding(session, Rule.NO_RECORDING, officer1),
                text="送达文书时忘记开启执法记录仪，系本人疏忽，今后送达前先检查记录仪是否在录。",
            )  # fmt: skip
            service.statement(
                session=session, actor=officer1,
                finding=_finding(session, Rule.INTERRUPTION_UNEXPLAINED, officer1, PENALTY_AT),
                text="当事人情绪激动，本人上前劝阻时记录仪被碰停，约两分钟后发现并恢复录像，"
                "当时未语音说明，事后也未补交书面说明。",
            )  # fmt: skip

    def _colleague_statement(self) -> None:
        """The second officer (no demo login: through the web as herself), with a signed note."""
        with self.database.unit_of_work() as session:
            colleague = _colleague(session)
            finding = _finding(session, Rule.NO_RECORDING, colleague)
            text = (
                f"当日送达由{_person(session, 'officer1').name}持执法记录仪负责记录，"
                "本人负责送达文书和现场说明，未领用记录仪。"
            )
            service.statement(session=session, actor=colleague, finding=finding, text=text)
            person = session.get(Person, colleague.person_id)
            note = _scan("陈述申辩书", person, [f"陈述：{text}"])
            service.attach(
                session=session, actor=colleague, store=self.store, finding=finding,
                attachment=service.Attachment(note, "陈述申辩书.pdf", self.settings),
                role="statement",
            )  # fmt: skip

    def _officer2_statement(self) -> None:
        with self.database.unit_of_work() as session:
            officer2 = _login(session, "officer2")
            service.statement(
                session=session, actor=officer2,
                finding=_finding(session, Rule.ACCESS_DENIED, officer2),
                text="该录像的调阅申请已经中心负责人批准，本人未注意到授权当日已到期，"
                "再次点开查看时被系统拒绝，并非越权调阅。",
            )  # fmt: skip

    def _head_decides(self) -> None:
        with self.database.unit_of_work() as session:
            head = _login(session, "center_head")
            officer1, colleague = _login(session, "officer1"), _colleague(session)
            decisions = (
                (
                    _finding(session, Rule.NO_RECORDING, officer1),
                    service.Decision(True, "送达文书属于执法活动，应全程记录；本人承认未开启记录仪。",
                                     "责令作出书面检查，当月执法考评扣 2 分。"),
                ),
                (
                    _finding(session, Rule.INTERRUPTION_UNEXPLAINED, officer1, PENALTY_AT),
                    service.Decision(True, "中断有客观原因，但未按第十条语音说明或事后书面说明。",
                                     "批评教育，组织学习《执法记录仪使用管理办法》第十条。"),
                ),
                (
                    _finding(session, Rule.NO_RECORDING, colleague),
                    service.Decision(True, "两名执法人员共同执法，均有确保全程记录的责任。",
                                     "批评教育。"),
                ),
            )  # fmt: skip
            _read(session, head)  # the statements' notices
            for finding, decision in decisions:
                service.decide(session=session, actor=head, finding=finding, decision=decision)

    def _engineering_head_decides(self) -> None:
        """officer2's unit head (no demo login) decides on the expired-grant view."""
        with self.database.unit_of_work() as session:
            head = desk_actor(_unit_head(session, ENGINEERING), source="web")
            officer2 = _login(session, "officer2")
            service.decide(
                session=session, actor=head,
                finding=_finding(session, Rule.ACCESS_DENIED, officer2),
                decision=service.Decision(
                    False, "调阅经批准，授权到期后再次打开被拒绝，未获取任何内容，不属于违规调阅。"
                ),
            )  # fmt: skip

    def _supervision_reviews(self) -> None:
        """Engineering supervision reviews two decisions: one upheld, one overturned."""
        with self.database.unit_of_work() as session:
            supervision = _login(session, "engineering")
            officer1, colleague = _login(session, "officer1"), _colleague(session)
            service.review(
                session=session, actor=supervision,
                finding=_finding(session, Rule.NO_RECORDING, officer1),
                overturn=False, reason="事实清楚，处理适当，维持原决定。",
            )  # fmt: skip
            service.review(
                session=session, actor=supervision,
                finding=_finding(session, Rule.NO_RECORDING, colleague),
                overturn=True,
                reason="送达文书由一名执法人员持记录仪记录即可；本次未记录的责任在持记录仪的"
                f"执法人员，对未领用记录仪的{_name(session, colleague)}不应认定。",
            )  # fmt: skip

    def _restored(self) -> None:
        """The missing original: restored from the off-site backup, not anyone's fault."""
        with self.database.unit_of_work() as session:
            head = _login(session, "center_head")
            [finding] = session.scalars(
                select(Finding).where(Finding.rule == str(Rule.OBJECT_MISSING))
            )
            service.decide(
                session=session, actor=head, finding=finding,
                decision=service.Decision(
                    False, "存储节点磁盘故障所致，信息通信保障部已从异地备份恢复该原件，"
                    "SHA-256 与 SM3 与入库时一致；无人为过错，不予认定。"
                ),
            )  # fmt: skip


# lookups ---------------------------------------------------------------------------------------


def _login(session: Session, username: str) -> Actor:
    account = session.scalars(select(Account).where(Account.username == username)).one()
    return accounts.actor_for(account, "web")


def _person(session: Session, username: str) -> Person:
    stmt = select(Person).join(Account, Account.person_id == Person.id)
    return session.scalars(stmt.where(Account.username == username)).one()


def _colleague(session: Session) -> Actor:
    """officer1's colleague at the evening scenes (demo.activities' cast), who has no login."""
    return desk_actor(demo_cast(session).officers[1], source="web")


def _read(session: Session, actor: Actor) -> None:
    """The actor opens the inbox and marks every notice read."""
    for note in notifications_for(session=session, person_id=actor.person_id):
        if note.read_at is None:
            faults.mark_read(session=session, actor=actor, notification_id=note.id)


def _name(session: Session, actor: Actor) -> str:
    person = session.get(Person, actor.person_id)
    return person.name if person is not None else actor.label


def _unit_head(session: Session, unit: str) -> Person:
    stmt = select(Person).join(Unit, Unit.id == Person.unit_id).where(Unit.name == unit)
    return next(p for p in session.scalars(stmt) if Role.UNIT_HEAD.value in p.active_roles)


def _activity(session: Session, place: str) -> Activity:
    return session.scalars(select(Activity).where(Activity.place == place)).one()


def _recordings(session: Session, count: int) -> list[Recording]:
    """The centre's first recordings of the fortnight (not the older recorder's old cards)."""
    center = session.scalars(select(Unit.id).where(Unit.name == CENTER)).one()
    since = utcnow() - timedelta(days=21)
    stmt = select(Recording).where(Recording.unit_id == center, Recording.start_at > since)
    return list(session.scalars(stmt.order_by(Recording.id).limit(count)))


def _finding(session: Session, rule: Rule, actor: Actor, place: str = "") -> Finding:
    """The finding of ``rule`` about the actor's person (about ``place``'s activity, when
    given)."""
    stmt = select(Finding).where(Finding.rule == str(rule), Finding.person_id == actor.person_id)
    found = list(session.scalars(stmt.order_by(Finding.id)))
    if place:
        activity_id = str(_activity(session, place).id)
        found = [f for f in found if f.subject_id.split("-")[0] == activity_id]
    return found[0]


def _scan(title: str, person: Person | None, lines: list[str]) -> io.BytesIO:
    """A signed paper as the unit scans it: one A4 page (reportlab's built-in CID font, as
    demo.activities' written report)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    canvas.setFont(font, 16)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 80, title)
    canvas.setFont(font, 11)
    head = [f"姓名：{person.name}（执法证号 {person.badge}）"] if person is not None else []
    for n, line in enumerate(
        [*head, *lines, "", f"日期：{local(utcnow())[:10]}", "签名：________"]
    ):
        canvas.drawString(60, A4[1] - 130 - n * 24, line)
    canvas.showPage()
    canvas.save()
    out.seek(0)
    return out


# the story's hook and summary ------------------------------------------------------------------


def steps(database: Database, store: BlobStore, settings: Settings, days: list[date]) -> list[Step]:
    return Plot(database, store, settings).steps(days)


def summary(database: Database) -> dict[str, dict[str, int]]:
    """Findings by rule and by status."""
    with database.read() as session:
        rows = list(session.execute(select(Finding.rule, Finding.status)))
    by_rule = {str(rule): 0 for rule in Rule}
    by_status = {str(status): 0 for status in FindingStatus}
    for rule, status in rows:
        by_rule[rule] += 1
        by_status[status] += 1
    return {"rules": by_rule, "statuses": by_status}
