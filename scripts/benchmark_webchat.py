"""How fast the web widget answers, measured in Debian's chromium against running servers
(`make servers`): page load until the socket.io session is confirmed, and Enter until the answer
(text with its badge) is on screen. Prints numbers; asserts nothing.
Usage: python scripts/benchmark_webchat.py [--url http://127.0.0.1:8080/] [--rounds 4]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import time

from playwright.sync_api import sync_playwright

QUESTIONS = ["失业金怎么领", "稳岗返还的条件", "创业担保贷款额度多少", "技能提升补贴怎么申请", "一次性创业补贴要什么材料"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(args.url)
        page.click(".pbw-launcher")
        page.wait_for_function("() => window.policybotWebchat.connected")
        print(f"page load until the session is confirmed: {(time.perf_counter() - start) * 1000:.0f} ms")
        times = []
        for question in QUESTIONS * args.rounds:
            shown = page.locator(".pbw-bot .pbw-badge").count()
            start = time.perf_counter()
            page.fill(".pbw-input", question)
            page.press(".pbw-input", "Enter")
            page.wait_for_function("n => document.querySelectorAll('.pbw-bot .pbw-badge').length > n", arg=shown,
                                   polling=10)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"Enter until the answer is shown, {len(times)} questions: p50 {statistics.median(times):.0f} ms, "
              f"p95 {times[max(0, round(len(times) * 0.95) - 1)]:.0f} ms, max {times[-1]:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
