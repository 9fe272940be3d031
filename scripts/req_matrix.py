"""Prints the regulation coverage matrix: for each requirement ID in the regulation's
translation, the tests that cite it with @pytest.mark.req("R…").

    .venv/bin/python scripts/req_matrix.py > docs/requirements-coverage.md
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REGULATION = ROOT.parent / "shared" / "regulation" / "regulation.en.md"


class Collector:
    def __init__(self) -> None:
        self.by_req: dict[str, list[str]] = defaultdict(list)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            for marker in item.iter_markers("req"):
                for req in marker.args:
                    self.by_req[str(req)].append(item.nodeid)


def requirement_ids() -> list[tuple[str, str]]:
    if not REGULATION.exists():
        return []
    found = re.findall(r"^- (R\d+\.\d+) (.+)$", REGULATION.read_text(), flags=re.M)
    return [(rid, text.strip()) for rid, text in found]


def main() -> int:
    collector = Collector()
    with contextlib.redirect_stdout(io.StringIO()):
        code = pytest.main(
            ["--collect-only", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")],
            plugins=[collector],
        )
    if code not in (0, 5):
        return int(code)
    print("# 法规条款测试覆盖矩阵 (regulation coverage)\n")
    print("| 条款 | 要求 | 测试数 | 测试 |\n|---|---|---|---|")
    for rid, text in requirement_ids() or [(r, "") for r in sorted(collector.by_req)]:
        tests = sorted(set(collector.by_req.get(rid, [])))
        shown = "<br>".join(f"`{t}`" for t in tests[:6]) + (" …" if len(tests) > 6 else "")
        print(f"| {rid} | {text[:60]} | {len(tests)} | {shown or '—（尚未覆盖）'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
