"""Load the two messy exports beside this script with declarations only.

No hand-written conversion: column mapping, label words, flag words, time
formats and zones are declared; every bad row is listed, every good row kept.

Run: python examples/load_exports.py
"""

import pathlib

import pandas as pd

from servicequality import Agent, ConversationTable, RatingScale, Role, measure

HERE = pathlib.Path(__file__).parent
HUMANS = ["客服-阿美", "客服-小王", "客服-老李"]

douyin = ConversationTable.from_frame(
    pd.read_csv(HERE / "douyin_export.csv", dtype=str),
    columns={
        "conversation_id": "会话ID",
        "agent_id": "客服账号",
        "customer_id": "买家ID",
        "opened_at": "会话开始时间",
        "first_response_at": "首次回复时间",
        "closed_at": "会话结束时间",
        "resolved": "是否解决",
        "rating_score": "评价",
        "transferred_to": "转人工客服",
    },
    formats={
        "opened_at": "%Y/%m/%d %H:%M:%S",
        "first_response_at": "%Y/%m/%d %H:%M:%S",
        "closed_at": "%Y/%m/%d %H:%M",
    },
    tz="Asia/Shanghai",
    true_values=["是"],
    false_values=["否"],
    rating_scale=RatingScale.THREE_LEVEL,
    agents=[
        Agent(id="智能客服-小抖", role=Role.BOT),
        *(Agent(id=name, role=Role.AGENT) for name in HUMANS),
    ],
    errors="collect",
)
calls = ConversationTable.from_frame(
    pd.read_csv(HERE / "call_centre.csv"),
    columns={
        "conversation_id": "Call Id",
        "agent_id": "Agent",
        "opened_at": ("Date", "Time"),
        "channel": "Channel",
        "topic": "Topic",
        "resolved": "Resolved",
        "first_response_after": "Speed of answer in seconds",
        "handle_time": "Talk Duration",
        "rating_score": "Satisfaction rating",
    },
    formats={"opened_at": "%d/%m/%Y %H:%M:%S"},
    tz="Europe/London",
    true_values=["Y"],
    false_values=["N"],
    rating_scale=RatingScale.FIVE_STAR,
    errors="collect",
)

for name, table, metrics in (
    ("Douyin", douyin, ["satisfaction_rate", "first_contact_resolution"]),
    ("Call centre", calls, ["satisfaction_rate", "first_response_time"]),
):
    print(name, table)
    for reject in table.rejects:
        print(f"  row {reject.index} [{reject.column}]: {reject.rule}")
    result = measure(table, metrics, by="agent").to_pandas()
    print(result.pivot(index="agent", columns="metric", values="value").round(3))
