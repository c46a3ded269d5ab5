"""Check a text table as people read it: a header row, and every column lined up."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence


def assert_table(
    lines: Sequence[str], headers: Sequence[str], *, right: Collection[int] = ()
) -> list[list[str]]:
    """``lines[0]`` holds exactly ``headers`` (cells two or more spaces apart); in every
    row, each cell starts where its header starts, or, for a column in ``right``, ends where
    its header ends. Returns the rows' cells."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", lines[0])]
    assert [lines[0][s:e] for s, e in spans] == list(headers), lines[0]
    rows = []
    for line in lines[1:]:
        cells = re.split(r"  +", line.strip())
        assert len(cells) == len(headers), f"{line!r} has not {len(headers)} cells"
        for i, ((start, end), cell) in enumerate(zip(spans, cells, strict=True)):
            if i in right:
                ok = line[:end].endswith(cell) and line[end : end + 1] in ("", " ")
            else:
                ok = line[start:].startswith(cell) and line[start - 1 : start] in ("", " ")
            assert ok, f"column {headers[i]!r} is not lined up in {line!r}"
        rows.append(cells)
    return rows
