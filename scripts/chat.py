"""A terminal chat with the running assistant through its REST channel: prints the replies' text and
numbers any buttons (type the number to press one). `/stop` or Ctrl-D ends the chat.
Usage: python scripts/chat.py [--url http://127.0.0.1:$RASA_PORT] [--as-of YYYY-MM-DD]
"""
from __future__ import annotations

import argparse
import json
import os
import urllib.request
import uuid


def send(url: str, sender: str, text: str, as_of: str | None) -> list:
    body = {"sender": sender, "message": text, **({"metadata": {"as_of": as_of}} if as_of else {})}
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT') or 5005}")
    parser.add_argument("--as-of", help="answer as of this date, e.g. 2022-09-01")
    args = parser.parse_args()
    sender, buttons = f"terminal-{uuid.uuid4().hex[:8]}", []
    print("稳经济政策助手（输入 /stop 退出）。例如：失业金怎么领、稳岗返还的条件、我们是餐饮小企业有什么政策")
    while True:
        try:
            text = input("\n您：").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text == "/stop":
            return 0
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = []
        for reply in send(args.url, sender, text, args.as_of):
            if reply.get("text"):
                print("助手：" + reply["text"])
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"  [{len(buttons)}] {button['title']}")


if __name__ == "__main__":
    raise SystemExit(main())
