"""`python -m channels.staff` (also installed as `policybot-staff`):

  serve                               run the staff application on 127.0.0.1:$STAFF_PORT (8081)
  users add NAME --role agent         create an account; the password is read from a prompt, or from
                                      standard input when it is not a terminal (never from the command line)
  users disable NAME | enable NAME    stop (and end the sessions of) or allow an account
  users list                          the accounts and their roles
"""
from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import Optional, Sequence

from bot import settings

from . import db


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("密码（至少10个字符）：")
        if getpass.getpass("再输入一次：") != first:
            raise SystemExit("两次输入的密码不一致。")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _serve(args) -> int:
    from aiohttp import web

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    port = settings.staff_port()
    print(f"坐席助手（staff panel）: http://{args.host}:{port}/", flush=True)
    web.run_app(create_app(), host=args.host, port=port, print=None, access_log=None)
    return 0


def _users(args) -> int:
    from .security import AccountError, add_user, list_users, set_disabled

    engine = db.connect()
    try:
        if args.action == "add":
            add_user(engine, args.name, _read_password(), args.role)
            print(f"已创建账号 {args.name.strip()}（{args.role}）。")
        elif args.action in ("disable", "enable"):
            set_disabled(engine, args.name, args.action == "disable")
            print(f"已{'停用' if args.action == 'disable' else '启用'}账号 {args.name}。")
        else:
            for row in list_users(engine):
                print(f"{row.name}\t{row.role}\t{'已停用' if row.disabled else '正常'}\t{row.created_at:%Y-%m-%d}")
    except AccountError as problem:
        print(problem, file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policybot-staff", description="坐席助手：服务与账号管理")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="启动坐席助手（端口取自 STAFF_PORT，默认 8081）")
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(handler=_serve)
    users = commands.add_parser("users", help="账号管理")
    actions = users.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="新建账号（密码从提示或标准输入读取）")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=db.ROLES)
    for name, text in (("disable", "停用账号"), ("enable", "重新启用账号")):
        actions.add_parser(name, help=text).add_argument("name")
    actions.add_parser("list", help="列出账号")
    users.set_defaults(handler=_users)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
