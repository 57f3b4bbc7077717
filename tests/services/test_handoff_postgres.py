"""The hand-off queue on the real PostgreSQL (production's database): a request, one agent winning the
take, presence tied to an unexpired session, closing once. Names are unique per run: the database is shared."""
from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import insert, select

from channels.staff import db, handoff_queue as queue
from channels.staff.security import _token_hash, add_user


def test_queue_and_presence_on_postgres(postgres_url):
    engine = db.connect(postgres_url)
    run = uuid.uuid4().hex[:8]
    ids = []
    for n in (1, 2):
        add_user(engine, f"pg-{run}-{n}", "agent-password-1", "agent")
        with engine.connect() as connection:
            ids.append(connection.execute(select(db.users.c.id).where(db.users.c.name == f"pg-{run}-{n}")).scalar_one())
    token = _token_hash(f"session-{run}")
    with engine.begin() as connection:
        connection.execute(insert(db.sessions).values(token_hash=token, user_id=ids[0], csrf_token="c",
                                                      created_at=db.now(), expires_at=db.now() + dt.timedelta(hours=1)))
    online = queue.agents_online(engine)
    queue.seen(engine, token, ids[0])
    queue.seen(engine, token, ids[0])  # a second poll updates, never duplicates
    assert queue.agents_online(engine) == online + 1

    first = queue.request(engine, f"pg-{run}", "wechat", "asked")
    number = queue.request(engine, f"pg-{run}", "wechat", "offered")
    assert queue.get(engine, first).status == "closed" and queue.get(engine, number).status == "queued"
    with ThreadPoolExecutor(2) as pool:  # two agents press 接入 at once: exactly one gets it
        won = list(pool.map(lambda user: queue.take(engine, number, user), ids))
    assert sorted(won) == [False, True]
    assert queue.get(engine, number).taken_by_name == f"pg-{run}-{won.index(True) + 1}"
    queue.mark_read(engine, number, 1234.5, waiting_note=True)
    assert queue.get(engine, number).read_until == 1234.5
    assert queue.close(engine, number, "agent") is True and queue.close(engine, number, "citizen") is False
    engine.dispose()
