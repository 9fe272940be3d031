"""The words of conduct-review sampling (第十三条, R13.1): a result per sampled recording and,
when it is 不规范, why. The findings (Art. 18) read the 不规范 ones."""

from __future__ import annotations

from enum import StrEnum


class Result(StrEnum):
    COMPLIANT = "compliant"  # 规范
    NONCOMPLIANT = "noncompliant"  # 不规范

    @property
    def label(self) -> str:
        return RESULT_LABELS[self]


RESULT_LABELS = {Result.COMPLIANT: "规范", Result.NONCOMPLIANT: "不规范"}


class Reason(StrEnum):
    """Why a recording shows conduct that is 不规范 (第十三条: 语言文明、行为规范; 第十二条)."""

    LANGUAGE = "language"  # 语言不文明
    CONDUCT = "conduct"  # 行为不规范
    NOT_ANNOUNCED = "not_announced"  # 未告知录像
    OTHER = "other"  # 其他 (the note says what)

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.LANGUAGE: "语言不文明",
    Reason.CONDUCT: "行为不规范",
    Reason.NOT_ANNOUNCED: "未告知录像",
    Reason.OTHER: "其他",
}


class SampleEvent(StrEnum):
    DRAWN = "access:sample:draw"
    GRANTED = "access:sample:grant"  # on the review grant (an access request) the draw gives
    RESULT = "access:sample:result"


MAX_SIZE = 200  # recordings in one sample: each is watched by one reviewer
DEFAULT_DAYS = 14  # results due, and the review grant's end, this many days after the draw
SCOPE = "执法规范抽查 #{id}"  # the review grant's scope, as the access pages show it
MEDIA = ("video", "audio")  # photos show no conduct over time: the population is sound and film
