"""The review inbox's store and its exports: a reviewer's verdict on a message the bot was unsure about
(confirm the intent, correct the intent / measure / aspect, or mark it out of scope), kept in
`staff_reviews` beside the tracker store (same DATABASE_URL), and exported as Rasa NLU training data
grouped by the file of data/nlu/ each intent lives in, or as CSV.

  staff_reviews   one row per reviewed user message (events.id): the redacted text, what the bot
                  understood (intent, confidence, flag), the verdict, the corrected intent, measure and
                  aspect, who reviewed it and when. Reviewing again replaces the verdict.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from bot import settings
from bot.text import redact
from policies_kb.loader import kb
from policies_kb.schema import ASPECTS

from . import analytics_store, db

VERDICTS = ("confirm", "correct", "out_of_scope")
VERDICT_LABELS = {"confirm": "确认无误", "correct": "已更正", "out_of_scope": "不在服务范围"}
# Button clicks (/choose_measure{…}) and the fallback are not things people say.
NOT_TRAINABLE = ("choose_measure", "nlu_fallback")
MAX_TEXT = 2000

reviews = sa.Table(
    "staff_reviews", analytics_store.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("text", sa.String(MAX_TEXT), nullable=False),
    sa.Column("said_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(64)),
    sa.Column("flag", sa.String(16)),
    sa.Column("original_intent", sa.String(255)),
    sa.Column("original_confidence", sa.Float),
    sa.Column("original_measure", sa.String(64)),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("intent", sa.String(255), nullable=False),
    sa.Column("measure", sa.String(64)),
    sa.Column("aspect", sa.String(32)),
    sa.Column("reviewer", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.DateTime, nullable=False),
    sa.Index("ix_staff_reviews_reviewed_at", "reviewed_at"),
)


class ReviewError(ValueError):
    """A verdict that cannot be stored; str(error) is a Chinese message for the reviewer."""


# ---- the intents a reviewer can choose ---------------------------------------------------------------

@lru_cache(maxsize=1)
def intents() -> Tuple[str, ...]:
    """The domain's intents (bot/domain/*.yml, measure intents generated from the KB), minus button clicks."""
    found: List[str] = []
    for path in sorted((settings.ROOT / "bot" / "domain").glob("*.yml")):
        for intent in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or []:
            name = intent if isinstance(intent, str) else next(iter(intent))
            if name not in found and name not in NOT_TRAINABLE:
                found.append(name)
    return tuple(found)


def measure_of_intent(intent: Optional[str]) -> Optional[str]:
    if intent and intent.startswith("ask_") and kb().find_measure(intent[4:]):
        return kb().find_measure(intent[4:]).id
    return None


def decide(verdict: Any, intent: Any, measure: Any, aspect: Any, original_intent: Optional[str],
           original_measure: Optional[str]) -> Dict[str, Optional[str]]:
    """The stored intent, measure and aspect for a verdict, checked against the domain and the KB."""
    if verdict not in VERDICTS:
        raise ReviewError("请选择：确认、更正或不在服务范围。")
    if aspect not in (None, "") and aspect not in ASPECTS:
        raise ReviewError("没有这个问题方面。")
    aspect = aspect or None
    if measure not in (None, ""):
        found = kb().find_measure(str(measure))
        if found is None:
            raise ReviewError("没有这项政策。")
        measure = found.id
    else:
        measure = None
    if verdict == "out_of_scope":
        return {"intent": "out_of_scope", "measure": None, "aspect": None}
    if verdict == "confirm":
        if not original_intent or original_intent in NOT_TRAINABLE:
            raise ReviewError("机器人没有识别出意图，无法确认，请选择正确的意图或政策。")
        return {"intent": original_intent, "measure": measure_of_intent(original_intent) or original_measure,
                "aspect": aspect}
    if intent in (None, "") and measure:
        intent = f"ask_{measure}"
    if intent not in intents():
        raise ReviewError("请选择一个有效的意图。")
    implied = measure_of_intent(intent)
    if implied and measure and implied != measure:
        raise ReviewError("所选意图与政策不一致。")
    return {"intent": intent, "measure": implied or measure, "aspect": aspect}


def save(connection: Connection, event_id: int, verdict: Any, intent: Any, measure: Any, aspect: Any,
         reviewer: str) -> Dict[str, Any]:
    """Store (or replace) the verdict on one flagged user message."""
    message = analytics_store.message(connection, event_id)
    if message is None:
        raise LookupError(event_id)
    chosen = decide(verdict, intent, measure, aspect, message["intent"], message["measure"])
    said_at = dt.datetime.strptime(message["time"], "%Y-%m-%d %H:%M:%S")
    row = {"event_id": message["id"], "sender_id": message["sender_id"], "text": redact(message["text"])[:MAX_TEXT],
           "said_at": said_at, "channel": message["channel"], "flag": message["flag"],
           "original_intent": message["intent"], "original_confidence": message["confidence"],
           "original_measure": message["measure"], "verdict": verdict, **chosen,
           "reviewer": reviewer[:64], "reviewed_at": db.now()}
    connection.execute(reviews.delete().where(reviews.c.event_id == message["id"]))
    connection.execute(reviews.insert().values(**row))
    return {**row, "said_at": message["time"], "reviewed_at": row["reviewed_at"].isoformat() + "Z"}


def reviewed(connection: Connection, limit: Optional[int] = None, offset: int = 0) -> List[Any]:
    query = sa.select(reviews).order_by(reviews.c.reviewed_at.desc(), reviews.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return connection.execute(query).all()


def by_event(connection: Connection, event_ids: List[int]) -> Dict[int, Any]:
    if not event_ids:
        return {}
    rows = connection.execute(sa.select(reviews).where(reviews.c.event_id.in_(event_ids))).all()
    return {row.event_id: row for row in rows}


def review_dict(row: Any) -> Dict[str, Any]:
    return {"event_id": row.event_id, "verdict": row.verdict, "verdict_label": VERDICT_LABELS[row.verdict],
            "intent": row.intent, "measure": row.measure, "aspect": row.aspect, "reviewer": row.reviewer,
            "reviewed_at": row.reviewed_at.isoformat() + "Z"}


# ---- exports ------------------------------------------------------------------------------------------

NLU = settings.ROOT / "data" / "nlu"


def _existing_examples() -> Tuple[Dict[str, str], Dict[str, str]]:
    """Every training example already in data/nlu (text → intent), and the file each intent lives in
    (the measure's own file under measures/ for ask_<measure>, otherwise the first file holding it)."""
    examples: Dict[str, str] = {}
    homes: Dict[str, str] = {}
    for path in sorted(NLU.rglob("*.yml"), key=lambda p: (p.parent.name == "situations", "more_" in p.name, str(p))):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            intent = block.get("intent")
            if not intent:
                continue
            homes.setdefault(intent, str(path.relative_to(settings.ROOT)))
            for line in str(block.get("examples") or "").splitlines():
                text = line.strip()
                if text.startswith("- "):
                    examples.setdefault(text[2:].strip(), intent)
    return examples, homes


def _example_text(text: str) -> Optional[str]:
    """The text as one line of a YAML block (no line breaks; nothing starting like a button payload)."""
    text = " ".join(redact(text or "").split())
    return text if text and not text.startswith("/") else None


def export_yaml(connection: Connection) -> str:
    """The reviewed messages as Rasa NLU YAML, one block per intent, each headed by the data/nlu file it
    merges into. Examples already in the training data (same intent) are left out; ones that the data
    gives another intent are left out too and listed at the top for a person to decide."""
    existing, homes = _existing_examples()
    chosen: Dict[str, str] = {}
    for row in sorted(reviewed(connection), key=lambda r: (r.reviewed_at, r.id)):  # the latest verdict wins
        text = _example_text(row.text)
        if text and row.intent not in NOT_TRAINABLE:
            chosen[text] = row.intent
    new: Dict[str, List[str]] = {}
    conflicts: List[Tuple[str, str, str]] = []
    already = 0
    for text, intent in chosen.items():
        if text in existing:
            if existing[text] == intent:
                already += 1
            else:
                conflicts.append((text, intent, existing[text]))
            continue
        new.setdefault(intent, []).append(text)
    lines = ["# 审核导出的训练样例（稳经济政策助手）：每个意图前注明应并入的 data/nlu 文件。",
             f"# 导出时间 {dt.datetime.now(analytics_store.CHINA):%Y-%m-%d %H:%M}；新样例 {sum(map(len, new.values()))} 条，"
             f"已在训练数据中 {already} 条（未重复导出）。"]
    for text, intent, other in conflicts:
        lines.append(f"# 未导出（训练数据中已标为 {other}，审核为 {intent}，请人工决定）：{text}")
    lines += ['version: "3.1"', "nlu:"]
    order = {name: index for index, name in enumerate(intents())}
    for intent in sorted(new, key=lambda name: (order.get(name, len(order)), name)):
        lines.append(f"# 并入 {homes.get(intent, 'data/nlu/（新文件）')}")
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {text}" for text in new[intent]]
    if not new:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


REVIEW_COLUMNS = ("event_id", "sender_id", "said_at", "channel", "text", "flag", "original_intent",
                  "original_confidence", "original_measure", "verdict", "intent", "measure", "aspect", "reviewer",
                  "reviewed_at")


def export_csv(connection: Connection) -> str:
    """Every review, redacted, as CSV (UTF-8 with BOM so Excel opens the Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(REVIEW_COLUMNS)
    for row in reviewed(connection):
        writer.writerow([csv_cell(getattr(row, column)) for column in REVIEW_COLUMNS])
    return out.getvalue()


def csv_cell(value: Any) -> str:
    """A redacted CSV cell; one that a spreadsheet would run as a formula (=, +, -, @) gets a leading '."""
    if value is None:
        return ""
    text = redact(value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
