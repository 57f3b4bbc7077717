"""Two Rasa replicas on PostgreSQL and Redis behind nginx (scripts/replicas.sh): many conversations
whose turns nginx spreads over both replicas, one replica killed (SIGKILL) in the middle of the
conversations and later restarted. No event may be lost, duplicated or reordered, every
conversation's slots must be intact, the survivor must carry on alone and the restarted replica
must take turns again.

The kill falls between two waves of turns, when no request is in flight: a crash during a request
loses that request (nginx answers 502 and does not resend a POST), which the client sees; what is
tested here is that the stored conversations are never damaged.

Ports: replicas on RASA_PORT+1 and +2, their action server on ACTIONS_PORT+1, nginx on RASA_PORT+75.
Needs nginx, PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL); skips, saying which, without.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa

from bot import settings
from tests.services.conftest import reachable_postgres, reachable_redis

ROOT = settings.ROOT
CONVERSATIONS = 16
OPENING = ["失业金怎么领", "那要什么材料？", "帮我做个政策体检", "个人", "失业了"]
TURNS = 8  # the opening, then answers to whatever the check-up asks


def ports() -> Dict[str, str]:
    rasa, actions = settings.rasa_port(), settings.actions_port()
    return {"REPLICA_PORTS": f"{rasa + 1} {rasa + 2}", "ACTIONS_PORT": str(actions + 1), "NGINX_PORT": str(rasa + 75)}


@pytest.fixture(scope="module")
def cluster():
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (apt-get install -y nginx; .ci/run installs it)")
    assert (ROOT / "models" / "policybot.tar.gz").exists(), "no trained model: run `make train`"
    env = {**os.environ, **ports(), "BIN": str(Path(sys.executable).parent),
           "DATABASE_URL": reachable_postgres(), "REDIS_URL": reachable_redis()}
    script = str(ROOT / "scripts" / "replicas.sh")

    def run(*args):
        subprocess.run([script, *args], check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)

    run("start")
    try:
        yield run, f"http://127.0.0.1:{env['NGINX_PORT']}", env["REPLICA_PORTS"].split(), env["DATABASE_URL"]
    finally:
        subprocess.run([script, "stop"], env=env, cwd=ROOT)


def say(url: str, sender: str, text: str) -> Dict[str, Any]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return {"replica": response.headers["X-Upstream"].split(",")[-1].strip().rsplit(":", 1)[1],
                "replies": json.loads(response.read()), "text": text}


def next_text(turn: int, previous: List[Dict[str, Any]]) -> str:
    if turn < len(OPENING):
        return OPENING[turn]
    for reply in previous:
        if reply.get("buttons"):
            return reply["buttons"][0]["title"]
    asking = next((r["custom"]["asking"] for r in previous
                   if isinstance(r.get("custom"), dict) and "asking" in r["custom"]), {})
    return {"int": "3", "number": "2"}.get(asking.get("type"), "是")


def wave(url: str, turn: int, senders: List[str], log: Dict[str, List[Dict[str, Any]]]) -> None:
    """Turn `turn` of every conversation, all at once."""
    def one(sender):
        previous = log[sender][-1]["replies"] if log[sender] else []
        return sender, say(url, sender, next_text(turn, previous))

    with ThreadPoolExecutor(len(senders)) as pool:
        for sender, result in pool.map(one, senders):
            log[sender].append({**result, "wave": turn})


def tracker(url: str, sender: str) -> Dict[str, Any]:
    with urllib.request.urlopen(f"{url}/conversations/{sender}/tracker?token={settings.api_token()}",
                                timeout=60) as response:
        return json.loads(response.read())


def shape(events: List[Dict[str, Any]]) -> List[tuple]:
    """What a conversation's events say, without ids and times."""
    keep = {"user": "text", "bot": "text", "action": "name", "slot": "name", "active_loop": "name"}
    return [(e["event"], json.dumps(e.get(keep.get(e["event"], "event")), ensure_ascii=False),
             json.dumps(e.get("value"), ensure_ascii=False, sort_keys=True)) for e in events]


def test_two_replicas_one_killed_and_rejoining(cluster):
    run, url, replica_ports, database_url = cluster
    senders = [f"scale-{uuid.uuid4().hex[:12]}" for _ in range(CONVERSATIONS)]
    log: Dict[str, List[Dict[str, Any]]] = {sender: [] for sender in senders}

    for turn in range(4):
        wave(url, turn, senders, log)
    run("kill", "1")
    time.sleep(1)  # the crashed process's socket is closed: nginx finds it refusing
    for turn in range(4, 6):
        wave(url, turn, senders, log)
    run("start-replica", "1")
    for turn in range(6, TURNS):
        wave(url, turn, senders, log)

    served = [(entry["wave"], entry["replica"]) for entries in log.values() for entry in entries]
    before = [replica for w, replica in served if w < 4]
    assert min(before.count(port) for port in replica_ports) >= len(before) // 4, "both replicas take turns"
    both = [s for s in senders if len({e["replica"] for e in log[s] if e["wave"] < 4}) == 2]
    assert len(both) >= CONVERSATIONS // 2, "conversations move between replicas"
    assert {replica for w, replica in served if w in (4, 5)} == {replica_ports[1]}, "the survivor carries on"
    assert replica_ports[0] in {replica for w, replica in served if w >= 6}, "the restarted replica rejoins"

    trackers = {sender: tracker(url, sender) for sender in senders}
    reference = shape(trackers[senders[0]]["events"])
    for sender in senders:
        events = trackers[sender]["events"]
        said = [e["text"] for e in events if e["event"] == "user"]
        assert said == [entry["text"] for entry in log[sender]], "every message stored once, in order"
        assert shape(events) == reference, "the same dialogue gives the same events on any replica"
        replied = [r.get("text") for entry in log[sender] for r in entry["replies"] if r.get("text")]
        assert replied == [e["text"] for e in events if e["event"] == "bot" and e.get("text")]
        facts = trackers[sender]["slots"]["facts"]
        assert facts["applicant"] == "person" and facts["employment_status"] == "unemployed"
        assert facts == trackers[senders[0]]["slots"]["facts"]
        assert trackers[sender]["slots"]["measure"] == "unemployment_benefit"

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for sender in senders:
            rows = connection.execute(sa.text("select type_name, timestamp from events where sender_id = :s "
                                              "order by id"), {"s": sender}).fetchall()
            assert len(rows) == len(trackers[sender]["events"]), "no event stored twice or lost"
            stamps = [row[1] for row in rows]
            assert stamps == sorted(stamps), "stored in the order they happened"
        connection.execute(sa.text("delete from events where sender_id in :senders")
                           .bindparams(sa.bindparam("senders", expanding=True)), {"senders": senders})
    engine.dispose()
