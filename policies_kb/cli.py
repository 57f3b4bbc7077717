"""`policybot`: the knowledge base and the eligibility engine from the command line.

  policybot kb list | kb show MEASURE [--aspect A] | check MEASURE --fact K=V ... | checkup --fact K=V ... | facts
Every subcommand takes --json for the stable machine-readable shape and --as-of YYYY-MM-DD where dates matter.
Errors (unknown measure, fact or aspect, badly typed value, bad date) print one bilingual line and exit 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Any, Dict, List, Optional, Sequence

from .answers import answer
from .engine import VERDICT_LABELS, CheckResult, check, checkup
from .facts import FactError
from .facts import describe as describe_fact
from .loader import KbError, kb
from .schema import ASPECT_LABELS, ASPECTS

_MARKS = {"met": "✓", "unmet": "✗", "unknown": "?"}


class UsageError(Exception):
    """A mistake in what the user typed; the message says what to type instead."""


def _measure_id(key: str) -> str:
    measure = kb().find_measure(key)
    if measure is None:
        raise UsageError(f"未知的政策 {key!r}，可用 `policybot kb list` 查看全部19项 (unknown measure {key!r})")
    return measure.id


def _parse_facts(pairs: Sequence[str]) -> Dict[str, str]:
    facts: Dict[str, str] = {}
    for pair in pairs or ():
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"--fact 需要写成 键=值，例如 --fact insured_employees=25，收到 {pair!r} (expected KEY=VALUE)")
        facts[key.strip()] = value.strip()
    return facts


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _cmd_kb_list(args) -> None:
    rows = [{"number": m.number, "id": m.id, "name": m.name, "category": m.category, "aliases": list(m.aliases)}
            for m in kb().measures]
    if args.json:
        _print_json(rows)
        return
    for row in rows:
        print(f"{row['number']:>2}  {row['id']:<28} {row['name']}（{row['category']}）")


def _cmd_kb_show(args) -> None:
    aspects = [args.aspect] if args.aspect else list(ASPECTS)
    answers = [answer(_measure_id(args.measure), aspect, args.as_of) for aspect in aspects]
    if args.json:
        _print_json([{**item.payload(), "text": item.text(), "statements": [
            {"text": s.text, "sources": list(s.sources), "kind": s.kind} for s in item.statements]} for item in answers])
        return
    print("\n\n".join(item.text() for item in answers))


def _render_result(result: CheckResult) -> List[str]:
    data = result.to_dict()
    verdict = VERDICT_LABELS[data["status"]]
    lines = [f"{result.measure.name}（第{result.measure.number}项）· 评估日期 {data['as_of']}",
             f"结论：{verdict}" + (f"（{data['route_name']}）" if data["route_name"] else "")]
    lines += ["条件："] + [f"  {_MARKS[c['status']]} {c['text']}〔{c['source_label']}〕" for c in data["conditions"]]
    if data["amount_text"]:
        lines.append(f"标准/金额：{data['amount_text']}")
    if data["missing_facts"]:
        lines.append("还需要了解（按顺序）：")
        lines += [f"  {i}. {kb().facts[key].question}（{key}）" for i, key in enumerate(data["missing_facts"], 1)]
    lines.append(result.summary())
    lines += [f"办理入口：{e['name']}" + (f" {e['url']}" if e["url"] else "") + f" —— {e['purpose']}"
              for e in data["service_entries"]]
    lines += [f"说明：{note}" for note in data["notes"]]
    return lines


def _cmd_check(args) -> None:
    result = check(_measure_id(args.measure), _parse_facts(args.fact), args.as_of)
    if args.json:
        _print_json(result.to_dict())
    else:
        print("\n".join(_render_result(result)))


def _cmd_checkup(args) -> None:
    report = checkup(_parse_facts(args.fact), args.as_of)
    if args.json:
        _print_json(report.to_dict(include_not_eligible=args.all))
        return
    titles = {"eligible": "符合条件、可以申请", "undetermined": "可能符合、还需补充信息", "ended": "符合或可能符合、但已执行期满",
              "not_eligible": "不符合"}
    for group in ["eligible", "undetermined", "ended"] + (["not_eligible"] if args.all else []):
        results = report.group(group)
        print(f"== {titles[group]}（{len(results)}项）")
        for result in results:
            print(f"  第{result.measure.number}项 {result.measure.name}：{result.summary()}")
            if result.missing_facts:
                print(f"    还需要了解：{'、'.join(kb().facts[k].label for k in result.missing_facts)}")
    if not args.all:
        print(f"（另有{len(report.group('not_eligible'))}项不符合，加 --all 查看）")


def _cmd_facts(args) -> None:
    rows = [describe_fact(key) for key in kb().facts]
    if args.json:
        _print_json(rows)
        return
    for row in rows:
        allowed = " | ".join(f"{v['code']}={v['label']}" for v in row["values"]) if row["values"] else (
            {"bool": "是/否"}.get(row["type"], f"数字{('（' + row['unit'] + '）') if row['unit'] else ''}"))
        print(f"{row['key']} [{row['type']}] {row['label']}：{allowed}\n    问：{row['question']}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policybot", description="稳经济政策助手：19项政策的知识库与资格判断（包人社办发〔2022〕78号）")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub, dated=True):
        sub.add_argument("--json", action="store_true", help="输出稳定的JSON结构")
        if dated:
            sub.add_argument("--as-of", metavar="YYYY-MM-DD", help="按某一天评估（默认今天）")

    kb_parser = commands.add_parser("kb", help="查看政策知识库")
    kb_commands = kb_parser.add_subparsers(dest="kb_command", required=True)
    listing = kb_commands.add_parser("list", help="列出19项政策")
    common(listing, dated=False)
    listing.set_defaults(handler=_cmd_kb_list)
    show = kb_commands.add_parser("show", help="某项政策的解答（可指定问题类型）")
    show.add_argument("measure", help="政策编号、id、名称或俗称，如 6、job_retention_refund、稳岗返还")
    show.add_argument("--aspect", choices=ASPECTS, help="问题类型：" + "、".join(f"{k}={v}" for k, v in ASPECT_LABELS.items()))
    common(show)
    show.set_defaults(handler=_cmd_kb_show)

    one = commands.add_parser("check", help="判断是否符合某项政策")
    one.add_argument("measure")
    one.add_argument("--fact", action="append", metavar="KEY=VALUE", help="已知情况，可重复；键见 `policybot facts`")
    common(one)
    one.set_defaults(handler=_cmd_check)

    every = commands.add_parser("checkup", help="政策体检：一次判断全部19项")
    every.add_argument("--fact", action="append", metavar="KEY=VALUE")
    every.add_argument("--all", action="store_true", help="也列出不符合的政策")
    common(every)
    every.set_defaults(handler=_cmd_checkup)

    facts = commands.add_parser("facts", help="列出所有条件项（类型、取值、提问）")
    common(facts, dated=False)
    facts.set_defaults(handler=_cmd_facts)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (UsageError, FactError, ValueError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    except KbError as error:
        print(f"知识库文件有误：{error}", file=sys.stderr)
        return 3
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 — a user never sees a traceback; POLICYBOT_DEBUG=1 shows it
        if os.environ.get("POLICYBOT_DEBUG"):
            traceback.print_exc()
        print(f"内部错误：{type(error).__name__}，请联系维护人员 (internal error; set POLICYBOT_DEBUG=1 for details)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
