"""Words people read (issue 14 item 4): articles cited as the office does (第九条), never the
requirement IDs of the English working translation; every problem code has a Chinese name."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

from lawcam.evidence.problems import PROBLEM_LABELS, problem_label

SRC = Path(__file__).resolve().parents[2] / "src" / "lawcam"
REQUIREMENT_ID = re.compile(r"\bR\d+\.\d+")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_templates_cite_articles_not_requirement_ids() -> None:
    found = []
    for template in sorted((SRC / "web" / "templates").glob("**/*.html")):
        shown = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)
        found += [f"{template.name}: {m}" for m in REQUIREMENT_ID.findall(shown)]
    assert not found


def _chinese_strings(path: Path) -> list[str]:
    """String literals with Chinese in them, docstrings left out (they are for maintainers)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [
        t.string
        for t in tokens
        if t.type == tokenize.STRING
        and not t.string.lstrip("rbfuRBFU").startswith(('"""', "'''"))
        and HAN.search(t.string)
    ]


def test_messages_cite_articles_not_requirement_ids() -> None:
    found = [
        f"{path.relative_to(SRC)}: {text}"
        for path in sorted(SRC.glob("**/*.py"))
        for text in _chinese_strings(path)
        if REQUIREMENT_ID.search(text)
    ]
    assert not found


def test_every_problem_code_has_a_chinese_name() -> None:
    emitted = set()
    for path in sorted((SRC / "evidence").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        emitted |= set(re.findall(r'Problem\(\s*"([a-z_]+)"', text))
        emitted |= set(re.findall(r'(?:_unknown|_refused)\((?:root, path, )?"([a-z_]+)"', text))
    assert {"unparseable_media", "truncated", "clock_offset", "digest_mismatch"} <= emitted
    assert emitted <= set(PROBLEM_LABELS), emitted - set(PROBLEM_LABELS)
    assert all(HAN.search(name) for name in PROBLEM_LABELS.values())
    assert problem_label("truncated") == "文件不完整"
    assert problem_label("from_a_newer_workstation") == "from_a_newer_workstation"
