"""The custom menu (menu.yml): loading and checking it, and uploading it to WeChat.

    python -m channels.wechat.menu check   # validate menu.yml
    python -m channels.wechat.menu push    # POST it to /cgi-bin/menu/create (needs the WECHAT_* variables)
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Dict, List

import yaml

MENU_FILE = Path(__file__).with_name("menu.yml")


class MenuError(ValueError):
    pass


def _buttons(menu: Dict[str, Any]) -> List[Dict[str, Any]]:
    flat = []
    for top in menu["button"]:
        flat.extend(top.get("sub_button") or [top])
    return flat


def load_menu(path: Path = MENU_FILE) -> Dict[str, Any]:
    """The menu, checked against WeChat's limits and against its own click table."""
    menu = yaml.safe_load(path.read_text(encoding="utf-8"))
    top = menu.get("button") or []
    if not 1 <= len(top) <= 3:
        raise MenuError(f"{path.name}: WeChat allows 1-3 top-level buttons, found {len(top)}")
    for button in top:
        if len(button["name"].encode("utf-8")) > 16:
            raise MenuError(f"{path.name}: top-level name {button['name']!r} is over 16 bytes")
        if len(button.get("sub_button") or []) > 5:
            raise MenuError(f"{path.name}: {button['name']!r} has more than 5 sub-buttons")
    clicks = menu.get("clicks") or {}
    for button in _buttons(menu):
        if len(button["name"].encode("utf-8")) > 60:
            raise MenuError(f"{path.name}: name {button['name']!r} is over 60 bytes")
        if button.get("type") == "click" and button.get("key") not in clicks:
            raise MenuError(f"{path.name}: click key {button.get('key')!r} has no entry under `clicks`")
    return menu


def click_text(menu: Dict[str, Any], key: str) -> str:
    """What a CLICK event with this EventKey asks the assistant ('' for an unknown key)."""
    return str((menu.get("clicks") or {}).get(key, ""))


async def push(menu: Dict[str, Any]) -> None:
    from .api import WeChatAPI
    from .settings import Settings
    from .store import make_store

    settings, missing = Settings.from_env()
    if settings is None:
        raise SystemExit("missing environment variables: " + ", ".join(missing))
    api = WeChatAPI(settings, make_store(settings.redis_url))
    try:
        token = await api.access_token()
        await api._call("POST", "/cgi-bin/menu/create", params={"access_token": token},
                        body={"button": menu["button"]})
        print("menu uploaded")
    finally:
        await api.close()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    loaded = load_menu()
    if command == "push":
        asyncio.run(push(loaded))
    else:
        print(f"{MENU_FILE.name}: {len(_buttons(loaded))} buttons, all click keys answered")
