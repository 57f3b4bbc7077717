"""Citations into the notice 包人社办发〔2022〕78号 and its attachment table.

A source id names one place in the notice; `label` turns it into the Chinese citation users see.
  body:6            正文第6项            body:1(2)      正文第1项第(2)款
  body:1(1)cond     第1项第(1)款实施条件  body:industries17  17个困难行业名单
  att:6:process     附件清单第6项「经办流程」 (columns: name, process, materials, office, deadline)
  notice:date       通知落款日期          notice:number  通知文号
"""
from __future__ import annotations

import re
from pathlib import Path

NOTICE_NUMBER = "包人社办发〔2022〕78号"
SOURCE_TEXT_PATH = Path(__file__).parent / "data" / "notice.txt"

_ID = re.compile(
    r"^(?:body:(?P<no>\d{1,2})(?:\((?P<part>\d)\))?(?P<cond>cond)?"
    r"|body:(?P<special>industries17)"
    r"|att:(?P<att>\d{1,2}):(?P<col>name|process|materials|office|deadline)"
    r"|notice:(?P<notice>date|number))$"
)
_COLUMNS = {"name": "政策名称", "process": "经办流程", "materials": "所需材料", "office": "责任科室", "deadline": "办理时限"}
_NOTICE = {"date": "通知落款（2022年7月18日）", "number": f"通知文号（{NOTICE_NUMBER}）"}


def is_valid(source_id: str) -> bool:
    match = _ID.match(source_id)
    if not match:
        return False
    number = match.group("no") or match.group("att")
    return number is None or 1 <= int(number) <= 19


def label(source_id: str) -> str:
    """The Chinese citation for a source id, e.g. '附件清单第6项「经办流程」'."""
    match = _ID.match(source_id)
    if not match:
        raise ValueError(f"unknown source id {source_id!r}")
    if match.group("special"):
        return "通知正文三（一）“17个困难行业”名单"
    if match.group("notice"):
        return _NOTICE[match.group("notice")]
    if match.group("att"):
        return f"附件清单第{match.group('att')}项「{_COLUMNS[match.group('col')]}」"
    text = f"通知正文第{match.group('no')}项"
    if match.group("part"):
        text += f"第({match.group('part')})款"
    if match.group("cond"):
        text += "「实施条件」"
    return text


def normalise(text: str) -> str:
    """The notice with every kind of white space removed: the PDF extraction breaks lines mid-word."""
    return re.sub(r"\s+", "", text)


def notice_text() -> str:
    return SOURCE_TEXT_PATH.read_text(encoding="utf-8")
