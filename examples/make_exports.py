"""Generate the two messy export files beside this script (seeded, no download).

- ``douyin_export.csv``: a Douyin-style shop export: Chinese headers, local
  Asia/Shanghai time strings in two formats (end times cut to the minute),
  votes as 满意/一般/不满意 (most conversations unrated), 是/否 for resolved, a
  bot that hands over to humans, and no channel, difficulty, escalation or
  invitation columns.
- ``call_centre.csv``: a call-centre-style file: no customer ids, date and
  time in separate columns (day first), waits and talk times in seconds,
  Y/N flags, channel spelled "Phone".

Each file has a few planted bad rows, as real exports do.

Run: python examples/make_exports.py [--write]
"""

from __future__ import annotations

import csv
import io
import pathlib
import sys
from datetime import datetime, timedelta

import numpy as np

HERE = pathlib.Path(__file__).parent
DOUYIN = HERE / "douyin_export.csv"
CALL_CENTRE = HERE / "call_centre.csv"
HUMANS = ["客服-阿美", "客服-小王", "客服-老李"]
BOT = "智能客服-小抖"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def douyin(seed: int = 7, n: int = 48) -> str:
    """The Douyin-style export as CSV text."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 11, 3, 8, 30)
    rows = []
    for i in range(n):
        opened = start + timedelta(minutes=int(i * 37 + rng.integers(0, 20)))
        opened += timedelta(seconds=int(rng.integers(0, 60)))
        by_bot = rng.random() < 0.3
        agent = BOT if by_bot else str(rng.choice(HUMANS))
        handed = str(rng.choice(HUMANS)) if by_bot and rng.random() < 0.6 else ""
        reply = opened + timedelta(seconds=int(rng.integers(5, 300)))
        closed = reply + timedelta(minutes=int(rng.integers(2, 25)))
        vote = ""
        if rng.random() < 0.3:
            vote = str(rng.choice(["满意", "一般", "不满意"], p=[0.7, 0.2, 0.1]))
        solved = "是" if rng.random() < 0.8 else "否"
        rows.append(
            [
                f"DY{20251103000 + i}",
                agent,
                f"buyer_{int(rng.integers(1, 30)):03d}",
                opened.strftime("%Y/%m/%d %H:%M:%S"),
                reply.strftime("%Y/%m/%d %H:%M:%S"),
                closed.strftime("%Y/%m/%d %H:%M"),
                solved,
                vote,
                handed,
            ]
        )
    rows[7][7] = "超赞"  # a vote word the scale does not know
    rows[12][6] = ""  # resolved left empty
    reply = datetime.strptime(rows[20][4], "%Y/%m/%d %H:%M:%S")
    rows[20][4] = reply.replace(second=40).strftime("%Y/%m/%d %H:%M:%S")
    rows[20][5] = reply.strftime("%Y/%m/%d %H:%M")  # closed in the same minute
    header = [
        "会话ID",
        "客服账号",
        "买家ID",
        "会话开始时间",
        "首次回复时间",
        "会话结束时间",
        "是否解决",
        "评价",
        "转人工客服",
    ]
    return _csv(header, rows)


def call_centre(seed: int = 11, n: int = 60) -> str:
    """The call-centre-style file as CSV text."""
    rng = np.random.default_rng(seed)
    agents = ["Diane", "Becky", "Stewart", "Greg"]
    topics = ["Technical Support", "Payment related", "Contract related"]
    rows = []
    for i in range(n):
        day = datetime(2021, 1, 4) + timedelta(days=int(i // 12))
        when = day + timedelta(hours=9, seconds=int(rng.integers(0, 8 * 3600)))
        answered = rng.random() < 0.85
        rating = str(int(rng.integers(1, 6))) if answered and rng.random() < 0.8 else ""
        rows.append(
            [
                f"ID{i + 1:04d}",
                str(rng.choice(agents)),
                when.strftime("%d/%m/%Y"),
                when.strftime("%H:%M:%S"),
                str(rng.choice(["Phone", "phone", "PHONE"])),
                str(rng.choice(topics)),
                "Y" if answered else "N",
                "Y" if answered and rng.random() < 0.75 else "N",
                str(int(rng.integers(10, 125))) if answered else "",
                str(int(rng.integers(30, 420))) if answered else "",
                rating,
            ]
        )
    rows[9][4] = "Fax"  # a channel the library does not know
    rows[30][10] = "4.5"  # a fractional rating
    header = [
        "Call Id",
        "Agent",
        "Date",
        "Time",
        "Channel",
        "Topic",
        "Answered (Y/N)",
        "Resolved",
        "Speed of answer in seconds",
        "Talk Duration",
        "Satisfaction rating",
    ]
    return _csv(header, rows)


if __name__ == "__main__":
    for path, text in ((DOUYIN, douyin()), (CALL_CENTRE, call_centre())):
        if "--write" in sys.argv:
            path.write_text(text, encoding="utf-8")
        lines = text.count("\n") - 1
        print(
            f"{path.name}: {lines} rows", "(written)" if "--write" in sys.argv else ""
        )
