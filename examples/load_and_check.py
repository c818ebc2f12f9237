"""Load records that come as plain data, keep the good ones, list the bad ones.

Run: python examples/load_and_check.py
"""

from servicequality import ConversationTable
from servicequality.demo import example_shop

shop = example_shop(200, seed=11)
records = shop.to_records()
rows = [c.to_dict() for c in records.conversations]
rows[5]["closed_at"] = "2025-10-01T00:00:00+08:00"  # closes before it opens
rows.append(rows[0])  # the same conversation exported twice
ratings = [r.to_dict() for r in records.ratings]

table = ConversationTable.from_records(
    rows, ratings=ratings, agents=records.agents, errors="collect"
)
print(table)
for reject in table.rejects:
    print(f"{reject.kind} #{reject.index}: {reject.reason}")
