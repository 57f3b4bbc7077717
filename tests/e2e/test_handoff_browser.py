"""Hand-off from the web widget to a human agent, in real Chromium (Debian's, through playwright): a citizen
on the widget's demo page types 转人工; an agent logged into the staff panel (a second browser context)
sees it in the live queue, takes it, reads what the citizen writes, replies — the reply reaches the widget
through Rasa's socket.io channel — and ends the human service; then the bot answers the citizen again.
Screenshots go to var/test-artifacts/handoff/."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from channels.staff.handoff import CLOSED, TAKEN

from tests.e2e.conftest import api
from tests.e2e.handoff_support import PASSWORD, STAFF, new_agent

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "handoff"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / "channels" / "webchat" / "node_modules" / "axe-core" / "axe.min.js"
DEMO = f"http://127.0.0.1:{os.environ.get('WEBCHAT_PORT', '8080')}/"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra: run `make install`")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed: `make browser` (or `make test`) installs it",
                allow_module_level=True)


def _watch_errors(page, errors):
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
            else None)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _queue_ids(page):
    return set(page.eval_on_selector_all(".queue-item", "items => items.map(i => i.dataset.id)"))


def test_widget_hand_off_taken_answered_and_handed_back(servers):
    expect = sync_api.expect
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = new_agent()
    errors = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # The agent: log in, open 人工接待 (its polling makes the agent online).
        desk = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
        _watch_errors(desk, errors)
        desk.goto(f"{STAFF}/")
        desk.fill("#name", name)
        desk.fill("#password", PASSWORD)
        desk.click("#login-button")
        desk.wait_for_url(f"{STAFF}/")
        desk.click('#nav a[href="/handoff"]')
        desk.wait_for_url(f"{STAFF}/handoff")
        expect(desk.locator("#queue-status")).to_contain_text("在线坐席")
        before = _queue_ids(desk)

        # The citizen, in another context: the demo page's widget.
        citizen = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
        _watch_errors(citizen, errors)
        citizen.goto(DEMO)
        citizen.click(".pbw-launcher")
        citizen.wait_for_function("() => window.policybotWebchat && window.policybotWebchat.connected")
        session_id = citizen.evaluate("() => window.policybotWebchat.state.sessionId")
        citizen.fill(".pbw-input", "失业金怎么领")  # a fact for the agent to see: the measure asked about
        citizen.press(".pbw-input", "Enter")
        expect(citizen.locator(".pbw-bot").last).to_contain_text("失业保险金", timeout=30_000)
        citizen.fill(".pbw-input", "转人工")
        citizen.press(".pbw-input", "Enter")
        expect(citizen.locator(".pbw-bot").last).to_contain_text("正在为您转接人工客服", timeout=30_000)
        expect(citizen.locator(".pbw-handoff")).to_be_visible()
        expect(citizen.locator(".pbw-handoff")).to_contain_text("正在等待人工客服接入")
        assert api(f"/conversations/{session_id}/tracker")["paused"] is True
        _shot(citizen, "01-citizen-waiting")

        # The queue page shows the new request by itself (it polls); the agent takes it.
        desk.wait_for_function("n => document.querySelectorAll('.queue-item').length > n", arg=len(before),
                               timeout=15_000)
        [number] = _queue_ids(desk) - before
        item = desk.locator(f'.queue-item[data-id="{number}"]')
        expect(item).to_contain_text("等待接入")
        expect(desk.locator('#nav a[href="/handoff"] .queue-badge')).to_be_visible()
        item.click()
        expect(desk.locator("#transcript")).to_contain_text("转人工")
        expect(desk.locator("#transcript")).to_contain_text("失业金怎么领")
        expect(desk.locator("#facts")).to_contain_text("失业保险金")
        _shot(desk, "02-agent-queue")
        desk.click("#take")
        expect(desk.locator("#conversation-state")).to_contain_text("由我接待")
        expect(citizen.locator(".pbw-log")).to_contain_text(TAKEN, timeout=15_000)
        expect(citizen.locator(".pbw-handoff")).to_contain_text("人工客服正在为您服务")

        # While the agent has it the bot does not answer; the agent reads the citizen's message.
        bot_messages = citizen.locator(".pbw-bot").count()
        citizen.fill(".pbw-input", "我想问一下失业金能领多久")
        citizen.press(".pbw-input", "Enter")
        expect(desk.locator("#transcript")).to_contain_text("我想问一下失业金能领多久", timeout=15_000)
        desk.fill("#reply-text", "您好，失业保险金的领取期限与累计缴费时间有关，我帮您查一下。")
        started = time.perf_counter()
        desk.press("#reply-text", "Control+Enter")
        agent_line = citizen.locator(".pbw-agent").last
        expect(agent_line).to_contain_text("失业保险金的领取期限与累计缴费时间有关", timeout=15_000)
        print(f"\nagent presses send → the widget shows it: {(time.perf_counter() - started) * 1000:.0f} ms")
        expect(agent_line).to_contain_text("人工客服")
        assert citizen.locator(".pbw-bot").count() == bot_messages  # the bot said nothing meanwhile
        expect(desk.locator("#transcript .line.agent")).to_contain_text("我帮您查一下")
        _shot(citizen, "03-citizen-with-agent")
        _shot(desk, "04-agent-conversation")

        # The agent hands back; the bot says so and answers again.
        desk.click("#close")
        expect(citizen.locator(".pbw-log")).to_contain_text(CLOSED, timeout=15_000)
        expect(citizen.locator(".pbw-handoff")).to_be_hidden()
        expect(desk.locator(f'.queue-item[data-id="{number}"]')).to_have_count(0, timeout=10_000)
        assert api(f"/conversations/{session_id}/tracker")["paused"] is False
        answered = citizen.locator(".pbw-bot").count()
        citizen.fill(".pbw-input", "失业金怎么领")
        citizen.press(".pbw-input", "Enter")
        citizen.wait_for_function("n => document.querySelectorAll('.pbw-bot').length > n", arg=answered,
                                  timeout=30_000)
        expect(citizen.locator(".pbw-bot").last).to_contain_text("失业保险金")
        _shot(citizen, "05-citizen-bot-again")
        browser.close()
    assert not errors, errors  # no script error and no CSP violation on either page


def test_offer_after_two_failed_turns_and_the_citizen_ends_the_human_service(servers):
    """Two questions the bot cannot answer in a row: the second reply offers 转人工; pressing it queues the
    conversation; the citizen's own 结束人工服务 button hands it back."""
    expect = sync_api.expect
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        citizen = browser.new_context(viewport={"width": 375, "height": 740}, locale="zh-CN").new_page()
        citizen.goto(DEMO)
        citizen.click(".pbw-launcher")
        citizen.wait_for_function("() => window.policybotWebchat && window.policybotWebchat.connected")
        for question, replies in (("公积金怎么提取", 1), ("医保报销比例是多少", 2)):
            citizen.fill(".pbw-input", question)
            citizen.press(".pbw-input", "Enter")
            expect(citizen.locator(".pbw-bot")).to_have_count(replies + 1, timeout=30_000)  # + the welcome
        expect(citizen.locator(".pbw-bot").nth(1).locator(".pbw-reply", has_text="转人工")).to_have_count(0)
        offer = citizen.locator(".pbw-bot").last
        expect(offer).to_contain_text("不在我能解答的范围内")
        expect(offer).to_contain_text("转接人工客服")
        offer.locator(".pbw-reply", has_text="转人工").click()
        # Another test's agent may still count as online for a minute; either way the request is queued.
        expect(citizen.locator(".pbw-bot").last).to_contain_text("结束人工服务", timeout=30_000)
        expect(citizen.locator(".pbw-handoff")).to_be_visible()
        _shot(citizen, "06-phone-waiting")
        citizen.click(".pbw-handoff-end")
        expect(citizen.locator(".pbw-log")).to_contain_text(CLOSED, timeout=15_000)
        expect(citizen.locator(".pbw-handoff")).to_be_hidden()
        browser.close()


def _serious(page):
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")


def test_hand_off_views_pass_the_accessibility_check(servers):
    """axe-core (WCAG 2.1 AA, serious and critical) on the widget's 人工客服 state and the 人工接待 page."""
    expect = sync_api.expect
    name = new_agent()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        # axe is injected as a script tag, which both pages' CSP (script-src 'self') would refuse.
        desk = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
        desk.goto(f"{STAFF}/login")
        desk.fill("#name", name)
        desk.fill("#password", PASSWORD)
        desk.click("#login-button")
        desk.wait_for_url(f"{STAFF}/")
        desk.goto(f"{STAFF}/handoff")
        expect(desk.locator("#queue-status")).to_contain_text("在线坐席")
        before = _queue_ids(desk)
        citizen = browser.new_context(bypass_csp=True, locale="zh-CN").new_page()
        citizen.goto(DEMO)
        citizen.click(".pbw-launcher")
        citizen.wait_for_function("() => window.policybotWebchat && window.policybotWebchat.connected")
        citizen.fill(".pbw-input", "转人工")
        citizen.press(".pbw-input", "Enter")
        expect(citizen.locator(".pbw-handoff")).to_be_visible(timeout=30_000)
        assert _serious(citizen) == []
        desk.wait_for_function("n => document.querySelectorAll('.queue-item').length > n", arg=len(before),
                               timeout=15_000)
        [number] = _queue_ids(desk) - before
        desk.locator(f'.queue-item[data-id="{number}"]').click()
        expect(desk.locator("#transcript")).to_contain_text("转人工")
        assert _serious(desk) == []
        desk.click("#close")  # leave the queue as it was
        expect(citizen.locator(".pbw-handoff")).to_be_hidden(timeout=15_000)
        browser.close()
