"""The assist panel in a real browser (Debian's chromium through playwright; no browser is downloaded),
against the real Rasa server: log in, paste a caller's sentence, see the measure and the answer, switch
aspect with the keyboard, tick conditions and watch the verdict and the amount change, copy the SMS,
search. Screenshots go to var/test-artifacts/staff/.

The staff application runs as its own process (`python -m channels.staff serve`) on a free port with a
fresh SQLite database, the account made with `python -m channels.staff users add` as an admin would.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make install)")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "staff"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
PASSWORD = "browser-agent-password"
SENTENCE = "我们是做餐饮的小企业，想问问能不能申请稳岗返还"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (make browser)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def panel(servers, tmp_path_factory):
    """The staff application's URL, with one agent account."""
    port = _free_port()
    env = {**os.environ, "STAFF_PORT": str(port),
           "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('staff') / 'staff.db'}"}
    subprocess.run([sys.executable, "-m", "channels.staff", "users", "add", "agent1", "--role", "agent"],
                   input=PASSWORD + "\n", text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(tmp_path_factory.mktemp("staff-log") / "staff.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "channels.staff", "serve"], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(60):
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            assert process.poll() is None, "the staff application stopped while starting"
            time.sleep(0.5)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def page(panel):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=panel)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # A refused login is a 401 the browser reports as "Failed to load resource"; anything else is a bug.
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        yield page
        browser.close()
        assert not errors, errors  # no script error and no CSP violation


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page, panel) -> None:
    page.goto(f"{panel}/")
    assert page.url.endswith("/login")  # no session: only the login page
    page.fill("#name", "agent1")
    page.fill("#password", "wrong-password")
    page.click("#login-button")
    playwright_api.expect(page.locator("#login-error")).to_contain_text("账号或密码不正确")
    page.fill("#password", PASSWORD)
    _shot(page, "01-login")
    page.click("#login-button")
    page.wait_for_url(f"{panel}/")
    playwright_api.expect(page.locator("#user")).to_contain_text("agent1")


def _fill_number(page, key: str, value: str) -> None:
    field = page.locator(f"#fact-{key}")
    field.fill(value)
    field.press("Tab")  # the change event re-evaluates


def test_an_agent_answers_and_checks_a_caller_in_the_panel(page, panel):
    expect = playwright_api.expect
    _login(page, panel)
    page.fill("#as-of", "2022-09-01")  # a day when 稳岗返还 was in force

    started = time.perf_counter()
    page.fill("#caller-text", SENTENCE)
    page.press("#caller-text", "Control+Enter")
    expect(page.locator("#measure-title")).to_have_text("6. 失业保险稳岗返还")
    shown_after = time.perf_counter() - started
    expect(page.locator(".candidate.selected")).to_contain_text("原话提及")
    expect(page.locator("#answer .heading")).to_have_text("【失业保险稳岗返还·申请条件】")
    expect(page.locator("#answer .citation")).to_contain_text("依据：")
    expect(page.locator("#answer .validity")).to_contain_text("截至2022年9月1日，该政策仍在执行期内")
    # the facts the caller mentioned are prefilled
    expect(page.locator("#fact-enterprise_size")).to_have_value("small")
    expect(page.locator("#verdict .status")).to_have_text("尚待确定")
    _shot(page, "02-recognised")

    page.keyboard.press("Alt+3")  # the third aspect tab: 补贴标准
    expect(page.locator("#answer .heading")).to_have_text("【失业保险稳岗返还·补贴标准】")
    expect(page.locator('.tab[aria-selected="true"]')).to_have_text("补贴标准")

    page.select_option("#fact-org_type", "enterprise")
    _fill_number(page, "insured_employees", "30")
    _fill_number(page, "layoffs_last_year", "6")
    expect(page.locator("#verdict .status")).to_have_text("符合条件")
    expect(page.locator("#conditions .condition.met").first).to_be_visible()
    _fill_number(page, "unemployment_insurance_paid_last_year", "20000")
    expect(page.locator("#verdict .amount")).to_have_text("金额：18,000元")
    _shot(page, "03-eligible-with-amount")

    _fill_number(page, "layoffs_last_year", "7")  # 7 of 30 is above the 20% a small firm may lay off
    expect(page.locator("#verdict .status")).to_have_text("不符合条件")
    expect(page.locator("#conditions .condition.unmet").first).to_be_visible()
    expect(page.locator("#verdict .amount")).to_have_text("")
    _shot(page, "04-not-eligible")

    _fill_number(page, "layoffs_last_year", "6")
    expect(page.locator("#verdict .amount")).to_have_text("金额：18,000元")
    sms = page.locator("#sms").input_value()
    assert "失业保险稳岗返还" in sms and "18,000元" in sms and "http://rst.nmg.gov.cn/" in sms
    expect(page.locator("#sms-count")).to_contain_text(f"{len(sms)} 字")
    expect(page.locator("#entry a")).to_have_attribute("href", "http://rst.nmg.gov.cn/")
    page.keyboard.press("Alt+C")
    expect(page.locator("#copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == sms
    _shot(page, "05-sms-copied")

    page.keyboard.press("Alt+K")
    page.keyboard.type("担保贷款")
    page.keyboard.press("Enter")
    expect(page.locator("#search-results .search-hit").first).to_contain_text("创业担保贷款")
    page.locator("#search-results .search-hit").first.click()
    expect(page.locator("#measure-title")).to_have_text("16. 创业担保贷款")
    page.keyboard.press("Alt+I")
    assert page.evaluate("document.activeElement.id") == "caller-text"
    _shot(page, "06-search")
    print(f"\nbrowser: sentence pasted → measure and answer shown in {shown_after * 1000:.0f} ms")


def test_what_a_caller_types_is_shown_as_text_never_as_markup(page, panel):
    _login(page, panel)
    page.fill("#caller-text", '<img src=x onerror="document.title=1">失业金怎么领<script>alert(1)</script>')
    page.press("#caller-text", "Control+Enter")
    playwright_api.expect(page.locator("#measure-title")).to_have_text("12. 失业保险金")
    assert page.locator("img").count() == 0
    assert page.title() != "1"
