import asyncio
import json

import aiohttp

from emulator.lambdas.runtime_api import Invocation, OutcomeKind, RuntimeApi

BASE = "/2018-06-01/runtime"


def _invocation(request_id: str = "req-1", payload: bytes = b'{"x": 1}') -> Invocation:
    return Invocation(
        request_id, payload, 1_700_000_000_000, "arn:aws:lambda:us-east-1:1:function:f", "Root=1-a-b"
    )


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_next_carries_the_event_and_lambda_headers_and_response_resolves_the_invocation() -> None:
    async def scenario() -> None:
        api = RuntimeApi()
        port = await api.start()
        try:
            outcome = api.submit(_invocation())
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                async with http.get(f"{BASE}/invocation/next") as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "application/json"
                    assert response.headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
                    assert response.headers["Lambda-Runtime-Deadline-Ms"] == "1700000000000"
                    assert response.headers["Lambda-Runtime-Invoked-Function-Arn"].endswith(":function:f")
                    assert response.headers["Lambda-Runtime-Trace-Id"] == "Root=1-a-b"
                    assert json.loads(await response.read()) == {"x": 1}
                assert api.ready.is_set()
                async with http.post(f"{BASE}/invocation/req-1/response", data=b'{"ok": true}') as response:
                    assert response.status == 202
            result = await asyncio.wait_for(outcome, 1)
            assert result.kind is OutcomeKind.RESPONSE
            assert result.payload == b'{"ok": true}'
        finally:
            await api.stop()

    run(scenario())


def test_error_post_carries_the_error_type_header() -> None:
    async def scenario() -> None:
        api = RuntimeApi()
        port = await api.start()
        try:
            outcome = api.submit(_invocation("req-2"))
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                (await http.get(f"{BASE}/invocation/next")).release()
                body = {"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}
                headers = {"Lambda-Runtime-Function-Error-Type": "Runtime.ValueError"}
                async with http.post(
                    f"{BASE}/invocation/req-2/error", json=body, headers=headers
                ) as response:
                    assert response.status == 202
            result = await asyncio.wait_for(outcome, 1)
            assert result.kind is OutcomeKind.ERROR
            assert result.error_type == "Runtime.ValueError"
            assert json.loads(result.payload)["errorMessage"] == "boom"
        finally:
            await api.stop()

    run(scenario())


def test_unknown_request_id_is_rejected() -> None:
    async def scenario() -> None:
        api = RuntimeApi()
        port = await api.start()
        try:
            async with (
                aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
                http.post(f"{BASE}/invocation/nope/response", data=b"{}") as response,
            ):
                assert response.status == 400
                assert (await response.json())["errorType"] == "InvalidRequestID"
        finally:
            await api.stop()

    run(scenario())


def test_init_error_is_recorded() -> None:
    async def scenario() -> None:
        api = RuntimeApi()
        port = await api.start()
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                body = {
                    "errorMessage": "Unable to import module 'x'",
                    "errorType": "Runtime.ImportModuleError",
                }
                async with http.post(f"{BASE}/init/error", json=body) as response:
                    assert response.status == 202
            assert api.init_failed.is_set()
            assert api.init_error is not None
            assert api.init_error.error_type == "Runtime.ImportModuleError"
        finally:
            await api.stop()

    run(scenario())


def test_each_api_gets_its_own_ephemeral_port() -> None:
    async def scenario() -> None:
        first, second = RuntimeApi(), RuntimeApi()
        try:
            assert await first.start() != await second.start()
        finally:
            await first.stop()
            await second.stop()

    run(scenario())
