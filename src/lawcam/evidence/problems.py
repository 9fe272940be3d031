"""The names people read for the problem codes a recording or a refused file carries (one
mapping for pages, CLI tables and spreadsheets). The code stays the stable key of the API and
the audit log; a page shows the name and keeps the code in a tooltip."""

from __future__ import annotations

PROBLEM_LABELS: dict[str, str] = {
    # The file as found on the device (sources.py)
    "symlink": "符号链接",
    "special_file": "非普通文件",
    "unreadable": "无法读取",
    "unreadable_folder": "文件夹无法读取",
    "name_not_utf8": "文件名编码异常",
    "name_too_long": "文件名过长",
    "path_traversal": "文件名含路径",
    # Reading and storing it (ingest.py, uploads)
    "changed_while_read": "读取中被修改",
    "digest_mismatch": "摘要不一致",
    "probe_failed": "媒体信息解析失败",
    # What the media says (probe.py)
    "empty_file": "空文件",
    "unparseable_media": "无法解析的媒体",
    "truncated": "文件不完整",
    "no_streams": "无音视频流",
    "unknown_codec": "未知编码",
    "no_duration": "时长未知",
    "extension_mismatch": "扩展名与内容不符",
    "ancient_start": "开始时间过早",
    "start_disagrees": "开始时间不一致",
    "future_start": "开始时间晚于当前",
    # Against the ledger and the clock (service.py, Art. 11)
    "clock_offset": "设备时钟偏差",
    "officer_unknown": "执法人员不明",
}


def problem_label(code: str) -> str:
    """The Chinese name of a problem code; an unknown code (a newer workstation's) as it is."""
    return PROBLEM_LABELS.get(code, code)
