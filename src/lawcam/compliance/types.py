"""The words of findings: the rules (codes fixed by DESIGN's wave-2 contract), the clause of
第十八条 each serves, its R-ID and severity; the review's statuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    NO_RECORDING = "no_recording"
    INTERRUPTION_UNEXPLAINED = "interruption_unexplained"
    LATE_UPLOAD = "late_upload"
    NOT_ANNOUNCED = "not_announced"
    ACCESS_DENIED = "access_denied"
    TAMPERING = "tampering"
    OBJECT_MISSING = "object_missing"
    CONDUCT = "conduct"
    MANUAL = "manual"

    @property
    def info(self) -> RuleInfo:
        return RULES[self]

    @property
    def label(self) -> str:
        return RULES[self].label


class Severity(StrEnum):
    LOW = "low"  # 一般
    HIGH = "high"  # 较重
    GRAVE = "grave"  # 严重

    @property
    def label(self) -> str:
        return {"low": "一般", "high": "较重", "grave": "严重"}[self]


@dataclass(frozen=True)
class RuleInfo:
    label: str
    article: str  # the clause of 第十八条 (or 第十二条/第十三条) it serves
    rid: str
    severity: Severity


ART18 = "第十八条第（{}）项"
RULES: dict[Rule, RuleInfo] = {
    Rule.NO_RECORDING: RuleInfo("执法活动无录像", ART18.format("一"), "R18.1", Severity.HIGH),
    Rule.INTERRUPTION_UNEXPLAINED: RuleInfo(
        "录像中断未说明", ART18.format("一"), "R18.1", Severity.LOW
    ),
    Rule.LATE_UPLOAD: RuleInfo(
        "逾期上传", "第十四条第（一）项、" + ART18.format("一"), "R14.1", Severity.LOW
    ),
    Rule.NOT_ANNOUNCED: RuleInfo(
        "未告知正在录音录像", "第十二条、" + ART18.format("一"), "R12.1", Severity.LOW
    ),
    Rule.ACCESS_DENIED: RuleInfo("未经批准调阅未遂", ART18.format("三"), "R18.1", Severity.HIGH),
    Rule.TAMPERING: RuleInfo("记录被删改", ART18.format("四"), "R18.1", Severity.GRAVE),
    Rule.OBJECT_MISSING: RuleInfo("资料损毁或丢失", ART18.format("五"), "R18.1", Severity.GRAVE),
    Rule.CONDUCT: RuleInfo(
        "执法不规范（抽查）", "第十三条、" + ART18.format("二"), "R13.1", Severity.HIGH
    ),
    Rule.MANUAL: RuleInfo(
        "人工登记的执法过错", ART18.format("二") + "或第（六）项", "R18.1", Severity.HIGH
    ),
}


class FindingStatus(StrEnum):
    PENDING = "pending"  # 待核实：当事人可陈述申辩
    CURED = "cured"  # 核实前原因已消除（如补交了说明）：保留，不追责
    CONFIRMED = "confirmed"  # 认定
    DISMISSED = "dismissed"  # 不予认定
    OVERTURNED = "overturned"  # 工程监管处复核后改变原决定

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    FindingStatus.PENDING: "待核实",
    FindingStatus.CURED: "已纠正",
    FindingStatus.CONFIRMED: "已认定",
    FindingStatus.DISMISSED: "不予认定",
    FindingStatus.OVERTURNED: "复核改变",
}


class FindingEvent(StrEnum):
    """Audit tags of the compliance domain."""

    FOUND = "compliance:finding:find"
    CURED = "compliance:finding:cure"
    RECORDED = "compliance:finding:record"  # a manual finding
    STATEMENT = "compliance:finding:statement"
    DECIDED = "compliance:finding:decide"
    REVIEWED = "compliance:finding:review"
    SWEPT = "compliance:sweep:run"
