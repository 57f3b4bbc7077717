"""Rendering and splitting without a server; the menu file."""
from __future__ import annotations

from pathlib import Path

import pytest

from channels.wechat.menu import MenuError, click_text, load_menu
from channels.wechat.render import link, render, split


def test_short_text_is_one_part():
    assert split("你好。") == ["你好。"]
    assert split("") == []


def test_split_prefers_sentence_ends_and_never_cuts_a_link():
    url = "http://rst.nmg.gov.cn/" + "a" * 30
    text = "".join(f"第{i}句话，说明一些情况。" for i in range(300)) + link(url) + "。" + "结尾。" * 50
    parts = split(text, limit=600)
    assert len(parts) > 3
    assert all(len(p.encode()) <= 600 for p in parts)
    bodies = [p.split("\n", 1)[1] for p in parts]
    assert "".join(bodies) == text
    assert all(b.endswith("。") for b in bodies)
    assert any(f'<a href="{url}">{url}</a>' in b for b in bodies)


def test_a_sentence_longer_than_a_message_is_cut_by_characters():
    parts = split("长" * 3000, limit=1000)
    assert all(len(p.encode()) <= 1000 for p in parts)
    assert "".join(p.split("\n", 1)[1] for p in parts) == "长" * 3000


def test_render_joins_messages_and_lists_options():
    rendered = render([{"text": "第一条"}, {"custom": {"smalltalk": "greet"}},
                       {"text": "请选择：", "buttons": [{"title": "企业", "payload": "企业"}, {"title": "社会组织"}]}])
    assert rendered.parts == ["第一条\n\n请选择：\n1. 企业\n2. 社会组织\n（回复序号即可）"]
    assert rendered.options == ["企业", "社会组织"]


def test_a_measure_answer_without_citation_gets_one_from_its_payload():
    rendered = render([{"text": "【稳岗返还·补贴标准】\n中小微企业按90%返还。"},
                       {"custom": {"measure": "job_retention_refund", "in_force": False,
                                   "sources": [{"id": "body:6", "label": "通知正文第6项"}]}}])
    assert rendered.parts[0].endswith("依据：通知正文第6项\n该政策已执行期满。")


def test_the_menu_is_valid_and_every_click_is_answered():
    menu = load_menu()
    assert click_text(menu, "ASK_UNEMPLOYMENT_BENEFIT") == "失业保险金怎么申领"
    assert click_text(menu, "nope") == ""


def test_a_menu_with_an_unanswered_key_is_refused(tmp_path: Path):
    bad = tmp_path / "menu.yml"
    bad.write_text("button:\n  - {type: click, name: 问, key: K}\nclicks: {}\n", encoding="utf-8")
    with pytest.raises(MenuError, match="K"):
        load_menu(bad)
