"""The staff application's API: login and sessions, CSRF, roles, the check, SMS and search endpoints,
and bad input (no stack trace, a Chinese message)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from channels.staff import db, security
from channels.staff.routes import PRIVATE_FILES, PUBLIC_FILES

pytestmark = pytest.mark.asyncio

PUBLIC_ROUTES = {("GET", "/login"), ("GET", "/api/login"), ("POST", "/api/login"), ("GET", "/static/{name}")}


def _routes(app):
    for route in app.router.routes():
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD":
            yield route.method, path


async def test_every_route_but_the_login_needs_a_session(staff):
    routes = set(_routes(staff.client.server.app))
    assert PUBLIC_ROUTES <= routes
    for method, path in routes - PUBLIC_ROUTES:
        response = await staff.client.request(method, path, allow_redirects=False)
        if path.startswith(("/api/", "/static/")):  # files answer 401 like the API (app.py _wants_page)
            assert response.status == 401, (method, path)
            assert (await response.json())["error"] == "请先登录。"
        else:
            assert response.status == 302 and response.headers["Location"] == "/login", (method, path)
    for name in PRIVATE_FILES:
        assert (await staff.get(f"/static/{name}")).status == 401
    for name in PUBLIC_FILES:
        assert (await staff.get(f"/static/{name}")).status == 200
    assert (await staff.get("/login")).status == 200
    assert (await staff.get("/static/..%2Fdb.py", allow_redirects=False)).status == 404
    assert (await staff.get("/no-such-page", allow_redirects=False)).status == 302


async def test_login_sets_a_strict_http_only_expiring_cookie(staff):
    response = await staff.login("agent")
    assert response.status == 200
    cookie = response.cookies[security.SESSION_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == 8 * 3600
    data = await staff.json("GET", "/api/session")
    assert data["name"] == "agent" and data["role"] == "agent" and data["csrf"] == staff.csrf
    assert {"href": "/", "label": "坐席助手"} in data["nav"]
    assert (await staff.get("/")).status == 200
    assert (await staff.get("/static/panel.js")).status == 200


async def test_wrong_password_and_unknown_name_get_the_same_answer(staff):
    wrong = await staff.login("agent", "not-the-password")
    unknown = await staff.login("nobody", "not-the-password")
    assert wrong.status == unknown.status == 401
    assert (await wrong.json()) == (await unknown.json()) == {"error": "账号或密码不正确，或账号已停用。"}
    assert security.SESSION_COOKIE not in wrong.cookies
    assert (await staff.get("/api/session")).status == 401


async def test_passwords_are_stored_as_scrypt_hashes(engine):
    with engine.connect() as connection:
        stored = connection.execute(select(db.users.c.password_hash).where(db.users.c.name == "agent")).scalar_one()
    assert stored.startswith("scrypt$") and "agent-password-1" not in stored
    assert security.verify_password("agent-password-1", stored)
    assert not security.verify_password("agent-password-2", stored)
    assert not security.verify_password("x", "garbage")


async def test_logins_are_rate_limited_per_name(staff):
    for _ in range(security.MAX_FAILURES_PER_NAME):
        assert (await staff.login("agent", "wrong-password")).status == 401
    blocked = await staff.login("agent")  # even the right password, until the window passes
    assert blocked.status == 429
    assert "15分钟" in (await blocked.json())["error"]
    assert (await staff.login("admin")).status == 200  # another name from the same address still can


async def test_logins_are_rate_limited_per_address(staff, engine):
    with engine.begin() as connection:
        for i in range(security.MAX_FAILURES_PER_ADDRESS):
            connection.execute(db.login_failures.insert().values(name=f"guess{i}", address="127.0.0.1", at=db.now()))
    assert (await staff.login("admin")).status == 429


async def test_an_expired_session_is_refused_and_removed(agent, engine):
    with engine.begin() as connection:
        connection.execute(update(db.sessions).values(expires_at=db.now() - dt.timedelta(seconds=1)))
    response = await agent.get("/api/session")
    assert response.status == 401
    with engine.connect() as connection:
        assert connection.execute(select(db.sessions)).first() is None
    assert (await agent.get("/", allow_redirects=False)).status == 302


async def test_logout_ends_the_session(agent):
    assert (await agent.post("/api/logout")).status == 200
    assert (await agent.get("/api/session")).status == 401


async def test_disabling_an_account_ends_its_sessions_and_logins(agent, engine):
    security.set_disabled(engine, "agent", True)
    assert (await agent.get("/api/session")).status == 401
    assert (await agent.login("agent")).status == 401
    security.set_disabled(engine, "agent", False)
    assert (await agent.login("agent")).status == 200


async def test_state_changing_requests_need_the_csrf_token(agent):
    body = {"measure": "unemployment_benefit", "facts": {}}
    for token in ("", "forged-token"):
        response = await agent.post("/api/check", body, csrf=token)
        assert response.status == 403
        assert "CSRF" in (await response.json())["error"]
    foreign = await agent.post("/api/check", body, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403
    assert (await agent.post("/api/logout", csrf="")).status == 403
    assert (await agent.post("/api/check", body)).status == 200


async def test_the_login_itself_needs_the_pre_session_csrf_token(staff):
    response = await staff.client.post("/api/login", json={"name": "agent", "password": "agent-password-1"})
    assert response.status == 403
    await staff.get("/api/login")  # sets the cookie
    response = await staff.client.post("/api/login", json={"name": "agent", "password": "agent-password-1"},
                                       headers={"X-CSRF-Token": "forged"})
    assert response.status == 403


async def test_roles(staff):
    for role, status in (("agent", 403), ("reviewer", 403), ("admin", 200)):
        await staff.login(role)
        response = await staff.get("/api/users")
        assert response.status == status, role
        if status == 403:
            assert (await response.json())["error"] == "您的账号没有权限使用此功能。"
        else:
            users = (await response.json())["users"]
            assert {(u["name"], u["role"]) for u in users} == {("agent", "agent"), ("reviewer", "reviewer"),
                                                               ("admin", "admin")}
            assert all("password" not in str(u) for u in users)
        # every role uses the assist panel
        assert (await staff.json("GET", "/api/measures"))["measures"][0]["number"] == 1


async def test_check_re_evaluates_with_the_engine(agent):
    """稳岗返还 on 2022-09-01 (README's example): the verdict and amount follow the facts."""
    body = {"measure": "job_retention_refund", "as_of": "2022-09-01", "facts": {}}
    empty = await agent.json("POST", "/api/check", body)
    assert empty["result"]["status"] == "undetermined"
    keys = [field["key"] for field in empty["fields"]]
    assert "org_type" in keys and "layoffs_last_year" in keys
    org_type = next(field for field in empty["fields"] if field["key"] == "org_type")
    assert org_type["question"].startswith("请问贵单位属于哪一类") and org_type["type"] == "enum"

    body["facts"] = {"org_type": "enterprise", "enterprise_size": "small", "insured_employees": 30,
                     "layoffs_last_year": 6}
    met = await agent.json("POST", "/api/check", body)
    assert met["result"]["status"] == "eligible" and met["result"]["amount_yuan"] is None
    assert "unemployment_insurance_paid_last_year" in [field["key"] for field in met["fields"]]
    assert all(c["status"] == "met" and c["source_label"] for c in met["result"]["conditions"])

    body["facts"]["unemployment_insurance_paid_last_year"] = 20000
    paid = await agent.json("POST", "/api/check", body)
    assert paid["result"]["amount_yuan"] == 18000
    assert "18,000元" in paid["sms"]["text"] and "失业保险稳岗返还" in paid["sms"]["text"]
    assert paid["entry"]["url"].startswith("http")
    assert paid["entry"]["url"] in paid["sms"]["text"]
    assert paid["sms"]["length"] == len(paid["sms"]["text"])

    body["facts"]["layoffs_last_year"] = 7  # 7/30 > 20%
    unmet = await agent.json("POST", "/api/check", body)
    assert unmet["result"]["status"] == "not_eligible"
    assert "暂不符合" in unmet["sms"]["text"] and "元" not in unmet["sms"]["text"]

    body["as_of"] = "2026-12-02"
    body["facts"]["layoffs_last_year"] = 6
    ended = await agent.json("POST", "/api/check", body)
    assert ended["result"]["status"] == "ended"
    assert "执行期满" in ended["sms"]["text"]


async def test_measure_view_has_every_aspect_with_its_source_and_validity(agent):
    view = await agent.json("POST", "/api/measure", {"measure": "失业金", "as_of": "2026-12-02"})
    assert view["measure"] == "unemployment_benefit"
    assert set(view["answers"]) == {"overview", "conditions", "amount", "process", "materials", "deadline",
                                    "office", "online_entry"}
    process = view["answers"]["process"]
    assert process["heading"] == "【失业保险金·办理流程】"
    assert process["citation"].startswith("依据：") and "包人社办发〔2022〕78号" in process["citation"]
    assert process["validity"] == "截至2026年12月2日，该政策持续实施。" and process["in_force"]
    assert all(s["sources"] for s in process["statements"] if s["kind"] == "fact")
    ended = await agent.json("POST", "/api/measure", {"measure": "job_retention_refund", "as_of": "2026-12-02"})
    assert "执行期满" in ended["answers"]["overview"]["validity"] and not ended["answers"]["overview"]["in_force"]


async def test_search_finds_the_measure_by_keyword(agent):
    data = await agent.json("GET", "/api/search?q=裁员率")
    assert data["results"][0]["measure"] == "job_retention_refund"
    assert "裁员率" in data["results"][0]["snippet"]
    loan = await agent.json("GET", "/api/search?q=" + "担保贷款额度")
    assert loan["results"][0]["measure"] == "startup_loan"
    assert (await agent.json("GET", "/api/search?q=量子纠缠"))["results"] == []
    assert (await agent.get("/api/search?q=")).status == 400


async def test_assist_says_so_when_the_rasa_server_is_down(agent):
    data = await agent.json("POST", "/api/assist", {"text": "失业金怎么领"}, status=503)
    assert "语义识别服务暂时不可用" in data["error"]
    assert (await agent.post("/api/assist", {"text": "  "})).status == 400


@pytest.mark.parametrize("path, body, status", [
    ("/api/check", {"measure": "no_such_measure"}, 404),
    ("/api/check", {"measure": "job_retention_refund", "facts": {"no_such_fact": 1}}, 400),
    ("/api/check", {"measure": "job_retention_refund", "facts": {"insured_employees": "很多很多"}}, 400),
    ("/api/check", {"measure": "job_retention_refund", "facts": ["x"]}, 400),
    ("/api/check", {"measure": "job_retention_refund", "as_of": "2022-13-45"}, 400),
    ("/api/measure", {"measure": None}, 404),
    ("/api/assist", {"text": 12}, 400),
    ("/api/check", [1, 2], 400),
])
async def test_bad_input_gets_a_chinese_message_and_no_traceback(agent, path, body, status):
    response = await agent.post(path, body)
    data = await response.json()
    assert response.status == status, data
    assert re.search(r"[\u4e00-\u9fff]", data["error"]) and "Traceback" not in data["error"]


async def test_malformed_json_and_oversized_bodies(agent):
    response = await agent.client.post("/api/check", data="{not json", headers={"X-CSRF-Token": agent.csrf,
                                                                               "Content-Type": "application/json"})
    assert response.status == 400
    huge = await agent.post("/api/assist", {"text": "失" * 100_000})
    assert huge.status == 413


async def test_pages_are_sent_with_a_strict_content_security_policy(agent):
    for path in ("/", "/login", "/api/session"):
        response = await agent.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = await (await agent.get("/")).text()
    assert "<script src=\"/static/panel.js\"" in page and "http" not in page.replace("http-equiv", "")
