"""The web chat widget in real Chromium (Debian's `chromium`, driven by playwright), against the running
servers (Rasa, actions, demo page — the `servers` fixture): answers with citation and badge,
clarification buttons, eligibility by buttons and by typing, history across reloads and tabs, the
reconnecting state while the Rasa server is down, HTML injection, phone layout, keyboard use, and
axe-core's accessibility check on desktop, phone and 大字模式. Screenshots go to var/screenshots/."""
from __future__ import annotations

import os
import shutil
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import restart_servers

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / "channels" / "webchat" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
DEMO = f"http://127.0.0.1:{os.environ.get('WEBCHAT_PORT', '8080')}/"
RASA = f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra: run `make install`")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed: `make browser` (or `make test`) installs it",
                allow_module_level=True)


@pytest.fixture(scope="module")
def browser(servers):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Widget:
    """The demo page in one browser tab, with the widget open."""

    def __init__(self, page, as_of: str = ""):
        self.page = page
        self.errors = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("dialog", lambda dialog: (self.errors.append("dialog: " + dialog.message), dialog.dismiss()))
        self.goto(as_of)

    def goto(self, as_of: str = ""):
        self.page.goto(DEMO + (f"?as_of={as_of}" if as_of else ""))
        self.open()

    def open(self):
        if self.page.locator(".pbw-launcher").is_visible():
            self.page.click(".pbw-launcher")
        self.wait_connected()

    def wait_connected(self, timeout: float = 30_000):
        self.page.wait_for_function("() => window.policybotWebchat && window.policybotWebchat.connected",
                                    timeout=timeout)

    def bot_count(self) -> int:
        return self.page.locator(".pbw-bot").count()

    def wait_replies(self, before: int, timeout: float = 30_000):
        """Wait until a bot message beyond `before` is shown and nothing more is on its way."""
        self.page.wait_for_function(
            "n => document.querySelectorAll('.pbw-bot').length > n && !window.policybotWebchat.pendingBot"
            " && document.querySelector('.pbw-typing').hidden", arg=before, timeout=timeout)
        self.page.wait_for_timeout(700)  # a second reply of the same turn (e.g. the next question)

    def say(self, text: str):
        before = self.bot_count()
        self.page.fill(".pbw-input", text)
        self.page.press(".pbw-input", "Enter")
        self.wait_replies(before)
        return self.page.locator(".pbw-bot").nth(before)

    def click(self, title: str):
        before = self.bot_count()
        self.page.locator(".pbw-bot").last.locator(".pbw-reply", has_text=title).click()
        self.wait_replies(before)

    def last_bot_text(self) -> str:
        return self.page.locator(".pbw-bot").last.inner_text()

    def log_text(self) -> str:
        return self.page.locator(".pbw-log").inner_text()


@pytest.fixture
def widget(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield Widget(context.new_page())
    context.close()


def test_demo_page_sends_csp_and_serves_the_widget_locally(servers):
    with urllib.request.urlopen(DEMO, timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode("utf-8")
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert RASA in policy  # the widget may talk to the Rasa server and nowhere else
    assert '<script src="/webchat/widget.js" defer></script>' in page and "//cdn" not in page
    with urllib.request.urlopen(DEMO + "webchat/vendor/socket.io.min.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/javascript")
        assert b"Socket.IO" in response.read(300)


def test_cited_answer_with_badge_and_service_entry(widget):
    reply = widget.say("失业金怎么领")
    assert "失业保险金" in reply.inner_text()
    assert reply.locator(".pbw-badge").inner_text() == "执行中"
    footnote = reply.locator(".pbw-footnote").inner_text()
    assert footnote.startswith("依据：") and "附件清单第12项" in footnote
    # The citation and entry lines are shown once, as footnote and button, not again in the text.
    assert reply.inner_text().count("依据：") == 1
    entry = reply.locator("a.pbw-entry").first
    assert entry.get_attribute("href").startswith("http://rst.nmg.gov.cn")
    assert entry.get_attribute("target") == "_blank" and "noopener" in entry.get_attribute("rel")
    assert widget.errors == []  # the widget works under the page's Content-Security-Policy


def test_badge_follows_the_as_of_date_on_the_embed(browser):
    context = browser.new_context(viewport=DESKTOP)
    today = Widget(context.new_page())
    assert today.say("工伤保险费缓缴怎么办理").locator(".pbw-badge").inner_text() == "已到期"
    context.close()
    context = browser.new_context(viewport=DESKTOP)
    replay = Widget(context.new_page(), as_of="2022-09-01")
    assert replay.page.locator(".pbw-root").get_attribute("data-as-of") == "2022-09-01"
    assert replay.say("工伤保险费缓缴怎么办理").locator(".pbw-badge").inner_text() == "执行中"
    context.close()


def test_clarification_button_answers_and_stays_in_history(widget):
    question = widget.say("缓缴怎么办")
    buttons = question.locator(".pbw-reply")
    assert buttons.count() == 3 and "工伤保险费缓缴" in buttons.all_inner_texts()
    widget.click("工伤保险费缓缴")
    assert widget.page.locator(".pbw-user").last.inner_text().strip().endswith("工伤保险费缓缴")
    assert "工伤保险费缓缴" in widget.last_bot_text() and widget.page.locator(".pbw-bot").last.locator(".pbw-badge").count() == 1
    # The question keeps its buttons, the chosen one marked.
    assert question.locator(".pbw-reply").count() == 3
    assert question.locator(".pbw-reply.pbw-chosen").inner_text() == "工伤保险费缓缴"
    widget.page.reload()
    widget.open()
    kept = widget.page.locator(".pbw-bot", has_text="请问您想了解哪一项").last
    assert kept.locator(".pbw-reply").count() == 3 and kept.locator(".pbw-chosen").inner_text() == "工伤保险费缓缴"


def test_eligibility_check_by_buttons_and_typing(browser):
    context = browser.new_context(viewport=DESKTOP)
    widget = Widget(context.new_page(), as_of="2022-09-01")
    widget.say("我们能享受稳岗返还吗")  # no word on the unit's type: it is asked with buttons
    assert widget.page.locator(".pbw-bot").last.locator(".pbw-reply", has_text="企业").count() >= 1
    widget.click("企业")
    assert "职工有多少人" in widget.last_bot_text()
    widget.say("三十人")
    assert "裁员" in widget.last_bot_text()
    widget.say("裁了6个")
    result = widget.page.locator(".pbw-bot", has=widget.page.locator(".pbw-conditions")).last
    assert "符合“失业保险稳岗返还”" in result.inner_text()
    marks = result.locator(".pbw-cond .pbw-mark").all_inner_texts()
    assert marks and set(marks) == {"✓"}
    assert result.locator(".pbw-cond-met .pbw-sr").first.inner_text().startswith("符合")
    assert result.locator(".pbw-badge").inner_text() == "执行中"
    assert result.locator("a.pbw-entry").count() == 1
    context.close()


def test_history_survives_reload_and_a_reopened_tab_and_new_conversation_starts_over(browser):
    context = browser.new_context(viewport=DESKTOP)
    widget = Widget(context.new_page())
    widget.say("失业金怎么领")
    session = widget.page.evaluate("() => window.policybotWebchat.state.sessionId")
    widget.page.reload()
    widget.wait_connected()
    assert widget.page.locator(".pbw-panel").is_visible()  # it stays open
    assert widget.page.locator(".pbw-user").all_inner_texts()[0].strip().endswith("失业金怎么领")
    assert widget.page.locator(".pbw-badge").count() == 1
    widget.page.close()
    widget = Widget(context.new_page())  # the tab closed and opened again
    assert widget.page.evaluate("() => window.policybotWebchat.state.sessionId") == session
    assert widget.page.locator(".pbw-user").count() == 1 and widget.page.locator(".pbw-badge").count() == 1
    # The server carries on the same conversation: a follow-up about the same measure.
    assert "失业保险金·所需材料" in widget.say("那要什么材料？").inner_text()
    widget.page.click("text=新对话")
    assert widget.page.evaluate("() => window.policybotWebchat.state.sessionId") != session
    assert widget.page.locator(".pbw-user").count() == 0 and widget.page.locator(".pbw-msg").count() == 1
    widget.wait_connected()
    # A new conversation on the server too: the follow-up no longer refers to 失业保险金.
    assert "失业保险金·所需材料" not in widget.say("那要什么材料？").inner_text()
    context.close()


def test_html_injection_is_shown_as_text(widget):
    attack = "<img src=x onerror=alert(1)>"
    widget.say(attack)
    assert widget.page.locator(".pbw-user").last.inner_text().strip().endswith(attack)
    assert widget.page.locator(".pbw-log img").count() == 0
    widget.page.reload()
    widget.open()
    assert widget.page.locator(".pbw-user").last.inner_text().strip().endswith(attack)
    assert widget.page.locator(".pbw-log img").count() == 0 and widget.errors == []


def test_personal_numbers_are_masked_in_the_browser_too(widget):
    widget.say("我的手机号13812345678，身份证150203199001011234")
    shown = widget.page.locator(".pbw-user").last.inner_text()
    stored = widget.page.evaluate("() => localStorage.getItem('policybot.webchat.v1')")
    for text in (shown, stored):
        assert "138****5678" in text and "150203********1234" in text
        assert "13812345678" not in text and "199001011234" not in text


def test_phone_layout(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    widget = Widget(context.new_page())
    widget.say("失业金怎么领")
    panel = widget.page.locator(".pbw-panel").bounding_box()
    assert panel["x"] == 0 and panel["width"] == PHONE["width"] and panel["height"] == PHONE["height"]
    assert widget.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    send = widget.page.locator(".pbw-send").bounding_box()
    assert send["x"] + send["width"] <= PHONE["width"] and send["height"] >= 40  # a finger-sized target
    context.close()


def test_keyboard_only(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(DEMO)
    for _ in range(40):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('pbw-launcher')"):
            break
    else:
        pytest.fail("the chat launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "pbw-input"
    widget = Widget.__new__(Widget)
    widget.page, widget.errors = page, []
    widget.wait_connected()
    before = widget.bot_count()
    page.keyboard.type("缓缴怎么办")
    page.keyboard.press("Enter")
    widget.wait_replies(before)
    page.keyboard.press("Shift+Tab")  # from the input back to the last quick reply
    assert page.evaluate("() => document.activeElement.className").startswith("pbw-reply")
    before = widget.bot_count()
    page.keyboard.press("Enter")
    widget.wait_replies(before)
    assert page.evaluate("() => document.activeElement.id") == "pbw-input"
    assert widget.page.locator(".pbw-bot").last.locator(".pbw-badge").count() == 1
    page.keyboard.press("Escape")
    assert not page.locator(".pbw-panel").is_visible()
    assert page.evaluate("() => document.activeElement.className") == "pbw-launcher"
    context.close()


def test_reconnects_after_the_rasa_server_restarts(browser):
    context = browser.new_context(viewport=DESKTOP)
    widget = Widget(context.new_page())
    widget.say("失业金怎么领")
    pid = int((ROOT / "var" / "rasa.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    status = widget.page.locator(".pbw-status")
    status.wait_for(state="visible", timeout=30_000)
    assert "正在重新连接" in status.inner_text()
    # Typed while offline: kept and marked as not sent.
    widget.page.fill(".pbw-input", "那要什么材料？")
    widget.page.press(".pbw-input", "Enter")
    assert "未发送" in widget.page.locator(".pbw-user").last.inner_text()
    before = widget.bot_count()
    _wait_gone(pid)
    restart_servers()
    widget.wait_connected(timeout=60_000)
    widget.wait_replies(before)
    assert status.is_hidden()
    assert "未发送" not in widget.page.locator(".pbw-user").last.inner_text()
    assert "失业保险金·所需材料" in widget.last_bot_text()  # the same conversation, carried on
    assert "失业保险金·办理流程" in widget.log_text()
    context.close()


def _wait_gone(pid: int, seconds: float = 30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)


def _serious(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    return result


@pytest.mark.parametrize("layout", ["desktop", "phone", "large"])
def test_accessibility_and_screenshots(browser, layout):
    # axe is injected as a script tag, which the page's CSP (script-src 'self') would refuse.
    context = browser.new_context(viewport=PHONE if layout == "phone" else DESKTOP, bypass_csp=True,
                                  device_scale_factor=2 if layout == "phone" else 1)
    widget = Widget(context.new_page(), as_of="2022-09-01")
    if layout == "large":
        widget.page.click("text=大字模式")
        assert widget.page.locator(".pbw-root.pbw-large").count() == 1
        assert widget.page.get_attribute("text=大字模式", "aria-pressed") == "true"
    widget.say("失业金怎么领")
    widget.say("缓缴怎么办")
    assert widget.page.locator(".pbw-log[aria-live='polite']").count() == 1
    assert _serious(widget.page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.page.screenshot(path=str(SHOTS / f"{layout}.png"))
    context.close()
