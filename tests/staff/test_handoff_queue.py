"""The hand-off queue's rules without a server: service hours (STAFF_HANDOFF_HOURS), and the words that
end the human service."""
from __future__ import annotations

import datetime as dt

import pytest

from channels.staff import handoff_queue as queue


@pytest.mark.parametrize("value, moment, open_", [
    ("1-5 08:30-12:00,13:30-17:30", "2026-12-02T01:00:00+00:00", True),    # Wednesday 09:00 in Beijing
    ("1-5 08:30-12:00,13:30-17:30", "2026-12-02T04:30:00+00:00", False),   # 12:30, lunch
    ("1-5 08:30-12:00,13:30-17:30", "2026-12-05T01:00:00+00:00", False),   # Saturday
    ("6,7 09:00-12:00", "2026-12-05T01:00:00+00:00", True),
    ("00:00-24:00", "2026-12-02T15:59:00+00:00", True),
    ("08:30-17:30", "2026-12-02T00:29:00+00:00", False),                   # 08:29 — not yet
])
def test_service_hours(value, moment, open_):
    assert queue.parse_hours(value).open_at(dt.datetime.fromisoformat(moment)) is open_


def test_service_hours_read_back_and_bad_values(monkeypatch):
    assert queue.parse_hours("1-5 08:30-12:00,13:30-17:30").describe() == "周一至周五 08:30-12:00、13:30-17:30"
    assert queue.parse_hours("6,7 09:00-12:00").describe() == "周六、周日 09:00-12:00"
    assert queue.parse_hours("") is None
    for bad in ("8-9", "1-9 08:00-09:00", "09:00-08:00", "工作日 09:00-17:00"):
        with pytest.raises(ValueError):
            queue.parse_hours(bad)
    monkeypatch.setenv(queue.HOURS_ENV, "nonsense")
    assert queue.in_service_hours() is True  # a typo never turns citizens away: logged, and no limit applied


def test_end_requests():
    assert all(queue.is_end_request(t) for t in ("结束人工服务", " 结束人工服务！", "退出人工", "不用人工了。"))
    assert not any(queue.is_end_request(t) for t in ("转人工", "人工服务什么时候结束", "", "结束"))
