"""Benchmark of the WeChat channel through the running servers: passive-reply latency (p50/p95) for 1 and
10 concurrent followers, and the share of replies that went asynchronously (customer-service API).

    scripts/benchmark_wechat.py                  # starts a fake WeChat API and both servers, then stops them
    scripts/benchmark_wechat.py --encrypted      # the same in 安全模式
RASA_PORT / ACTIONS_PORT as for scripts/servers.sh; --fake-port for the fake WeChat API.
Each follower asks the 19 measure questions one after another (under the per-user rate limit).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.wechat.fake_platform import FakeAPIThread, FakeWeChatAPI, WeChatUser  # noqa: E402

ENV = {"WECHAT_TOKEN": "bench-token", "WECHAT_APP_ID": "wxbench0123456789", "WECHAT_APP_SECRET": "bench-secret",
       "WECHAT_ENCODING_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}
QUESTIONS = ["养老保险费缓缴怎么申请", "工伤保险费能缓缴吗要什么材料", "失业保险费缓缴到什么时候", "工伤保险费率降了多少",
             "失业保险费率现在是多少", "稳岗返还能返多少", "留工补贴每人多少钱", "扩岗补助多少钱", "吸纳就业补贴要什么材料",
             "职业技能培训补贴找哪个部门", "技能提升补贴在哪里申请", "失业金怎么领", "农民工一次性生活补助的条件",
             "失业补助金能领几个月", "临时生活补助是什么", "创业担保贷款最多能贷多少", "创业场地租金补贴的申报材料",
             "创业服务补贴什么时候截止", "一次性创业补贴怎么申请"]


def follower_session(webhook: str, encrypted: bool) -> List[Tuple[float, bool]]:
    """One follower asks every question; (seconds, answered passively) per push."""
    user = WeChatUser(ENV["WECHAT_TOKEN"], ENV["WECHAT_APP_ID"], ENV["WECHAT_ENCODING_AES_KEY"])
    results = []
    for question in QUESTIONS:
        query, body = user.push(user.xml("text", Content=question), encrypted=encrypted)
        started = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(f"{webhook}?{urlencode(query)}", data=body),
                                    timeout=30) as response:
            reply = user.read_reply(response.read().decode("utf-8"), encrypted)
        results.append((time.perf_counter() - started, reply is not None))
    return results


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(webhook: str, users: int, encrypted: bool) -> None:
    with ThreadPoolExecutor(users) as pool:
        sessions = list(pool.map(lambda _: follower_session(webhook, encrypted), range(users)))
    results = [r for s in sessions for r in s]
    passive = [seconds * 1000 for seconds, was_passive in results if was_passive]
    asynchronous = [seconds for seconds, was_passive in results if not was_passive]
    print(f"{users:>2} concurrent follower(s), {len(results)} pushes: passive p50 {statistics.median(passive):.0f} ms, "
          f"p95 {percentile(passive, 0.95):.0f} ms, max {max(passive):.0f} ms; asynchronous "
          f"{len(asynchronous)}/{len(results)} ({100 * len(asynchronous) / len(results):.1f}%: "
          f"{sum(1 for s in asynchronous if s >= 3.9)} too slow, {sum(1 for s in asynchronous if s < 3.9)} too long "
          f"for one message)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encrypted", action="store_true", help="安全模式 pushes and replies")
    parser.add_argument("--fake-port", type=int, default=int(os.environ.get("WECHAT_FAKE_PORT", "5280")))
    parser.add_argument("--no-start", action="store_true",
                        help="use servers already running with the WECHAT_* variables of this script")
    args = parser.parse_args()
    port = os.environ.get("RASA_PORT", "5005")
    fake = FakeAPIThread(FakeWeChatAPI(ENV["WECHAT_APP_ID"], ENV["WECHAT_APP_SECRET"]), port=args.fake_port).start()
    env = {**os.environ, **ENV, "WECHAT_API_BASE": fake.url}
    if not args.no_start:
        subprocess.run([str(ROOT / "scripts" / "servers.sh"), "start"], check=True, env=env, cwd=ROOT)
    try:
        webhook = f"http://127.0.0.1:{port}/webhooks/wechat/webhook"
        follower_session(webhook, args.encrypted)  # warm-up: first calls load lazily
        for users in (1, 10):
            run(webhook, users, args.encrypted)
        time.sleep(1)
        print(f"customer-service messages delivered: {len(fake.api.sent)}, access_token fetches: {fake.api.token_calls}")
    finally:
        if not args.no_start:
            subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], check=False, env=env, cwd=ROOT)
        fake.stop()


if __name__ == "__main__":
    main()
