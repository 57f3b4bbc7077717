"""The action endpoint answers with an apology (12333) when the action server is down, slow or failing,
lets an action's own rejection (400) through, and recovers by itself once the server answers again."""
from __future__ import annotations

import asyncio
import socket

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.action_endpoint import APOLOGY, ResilientActionEndpoint

GOOD = {"events": [{"event": "slot", "name": "measure", "value": "unemployment_insurance"}],
        "responses": [{"text": "答复", "custom": {"measure": "unemployment_insurance"}}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve(port: int, handler) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def call(endpoint: EndpointConfig):
    return endpoint.request(json={"next_action": "action_respond"}, method="post", timeout=300)


async def call_and_close(endpoint: ResilientActionEndpoint):
    try:
        return await call(endpoint)
    finally:
        await endpoint.close()


def endpoint_at(port: int, timeout: float = 10.0) -> ResilientActionEndpoint:
    return ResilientActionEndpoint(EndpointConfig(f"http://127.0.0.1:{port}/webhook"), timeout=timeout)


def is_apology(response) -> bool:
    return (response["events"] == [] and len(response["responses"]) == 1
            and response["responses"][0]["text"] == APOLOGY
            and response["responses"][0]["custom"] == {"unavailable": True})


def test_the_apology_names_the_hotline_and_is_a_valid_action_response():
    assert "12333" in APOLOGY
    endpoint = endpoint_at(free_port())
    response = asyncio.run(call_and_close(endpoint))
    assert is_apology(response)
    assert RemoteAction("action_respond", endpoint)._validate_action_result(response)


def test_down_then_back_recovers_without_a_restart():
    port = free_port()

    async def scenario():
        endpoint = endpoint_at(port)
        down = await call(endpoint)

        async def ok(request):
            return web.json_response(GOOD)

        runner = await serve(port, ok)
        try:
            back = await call_and_close(endpoint)
        finally:
            await runner.cleanup()
        return down, back

    down, back = asyncio.run(scenario())
    assert is_apology(down)
    assert back == GOOD


def test_slow_action_server_gets_an_apology_within_the_timeout():
    port = free_port()

    async def scenario():
        async def slow(request):
            await asyncio.sleep(5)
            return web.json_response(GOOD)

        runner = await serve(port, slow)
        try:
            started = asyncio.get_running_loop().time()
            response = await call_and_close(endpoint_at(port, timeout=0.5))
            return response, asyncio.get_running_loop().time() - started
        finally:
            await runner.cleanup()

    response, waited = asyncio.run(scenario())
    assert is_apology(response)
    assert waited < 3


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_get_an_apology(status):
    port = free_port()

    async def scenario():
        async def failing(request):
            return web.Response(status=status, text="boom")

        runner = await serve(port, failing)
        try:
            return await call_and_close(endpoint_at(port))
        finally:
            await runner.cleanup()

    assert is_apology(asyncio.run(scenario()))


def test_an_action_rejecting_itself_is_left_to_rasa():
    port = free_port()

    async def scenario():
        async def rejecting(request):
            return web.json_response({"action_name": "validate_eligibility_form", "error": "no"}, status=400)

        runner = await serve(port, rejecting)
        try:
            return await call_and_close(endpoint_at(port))
        finally:
            await runner.cleanup()

    with pytest.raises(ClientResponseError) as raised:
        asyncio.run(scenario())
    assert raised.value.status == 400


def test_calls_reuse_one_connection_and_reconnect_after_the_server_restarts():
    port = free_port()
    peers = []

    async def ok(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response(GOOD)

    async def scenario():
        endpoint = endpoint_at(port)
        runner = await serve(port, ok)
        try:
            first = [await call(endpoint) for _ in range(3)]
        finally:
            await runner.cleanup()
        runner = await serve(port, ok)  # the action server restarted: its old connections are gone
        try:
            again = await call(endpoint)
        finally:
            await runner.cleanup()
            await endpoint.close()
        return first, again

    first, again = asyncio.run(scenario())
    assert first == [GOOD] * 3 and again == GOOD
    assert len(set(peers[:3])) == 1, "one kept-alive connection for consecutive calls"
    assert peers[3] != peers[0]
