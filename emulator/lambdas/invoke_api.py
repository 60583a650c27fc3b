"""Lambda's Invoke API (POST /2015-03-31/functions/{name}/invocations) so `aws lambda invoke` works."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from emulator.invocation import InvocationStatus
from emulator.lambdas.invoker import LambdaInvoker, not_found_payload

log = logging.getLogger(__name__)

MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD_BYTES = 256 * 1024
INVOKER_KEY: web.AppKey[LambdaInvoker] = web.AppKey("invoker", LambdaInvoker)


def aws_error(status: int, error_type: str, message: str) -> web.Response:
    """An error as the Lambda API sends it: x-amzn-ErrorType header plus a JSON body."""
    return web.json_response(
        {"Type": "User", "message": message, "Message": message},
        status=status,
        headers={"x-amzn-ErrorType": error_type},
    )


async def invoke(request: web.Request) -> web.StreamResponse:
    invoker = request.app[INVOKER_KEY]
    function = request.match_info["name"]
    invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        return aws_error(
            400, "InvalidParameterValueException", f"Unsupported invocation type {invocation_type}"
        )
    limit = MAX_EVENT_PAYLOAD_BYTES if invocation_type == "Event" else MAX_SYNC_PAYLOAD_BYTES
    payload = await request.read()
    if len(payload) > limit:
        return aws_error(
            413,
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the {invocation_type} invocation type",
        )
    if payload.strip():
        try:
            json.loads(payload)
        except ValueError:
            return aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
    else:
        payload = b"{}"
    if invocation_type != "RequestResponse":
        config = await invoker.resolve(function)
        if config is None:
            return _not_found(function)
        if invocation_type == "DryRun":
            return web.Response(status=204)
        request_id = invoker.invoke_event(config, payload)
        return web.Response(status=202, headers={"x-amzn-RequestId": request_id})
    result = await invoker.invoke(function, payload)
    headers = {"x-amzn-RequestId": result.request_id, "X-Amz-Executed-Version": "$LATEST"}
    if result.status is InvocationStatus.NOT_FOUND:
        return _not_found(function)
    if result.status is InvocationStatus.THROTTLED:
        # The body is Lambda's own ({"Reason", "Type", "message"}); the function did not run.
        return web.Response(
            body=result.payload,
            status=429,
            content_type="application/json",
            headers={"x-amzn-ErrorType": "TooManyRequestsException", "x-amzn-RequestId": result.request_id},
        )
    if result.function_error or result.status in (InvocationStatus.FUNCTION_ERROR, InvocationStatus.TIMEOUT):
        headers["X-Amz-Function-Error"] = result.function_error or "Unhandled"
    return web.Response(body=result.payload, status=200, headers=headers, content_type="application/json")


def _not_found(function: str) -> web.Response:
    body = json.loads(not_found_payload(function))
    return web.json_response(
        {"Type": "User", "Message": body["Message"]},
        status=404,
        headers={"x-amzn-ErrorType": "ResourceNotFoundException"},
    )


async def reload(request: web.Request) -> web.Response:
    """Emulator admin (not an AWS API): the function's code changed on disk; serve it from the next request.

    Answers {"function", "retired", "init_error"}: init_error is the new environment's init failure (the
    payload Lambda would return, e.g. Runtime.UserCodeSyntaxError), null when it started. ?warm=false only
    retires (no new environment is started, so none is waited for)."""
    invoker = request.app[INVOKER_KEY]
    function = request.match_info["name"]
    config = await invoker.resolve(function)
    if config is None:
        return _not_found(function)
    if request.query.get("warm", "true").lower() in ("false", "0", "no"):
        return web.json_response(
            {"function": config.name, "retired": invoker.pool.reload(config.name), "init_error": None}
        )
    retired, failure = await invoker.reload(config)
    init_error = None
    if failure is not None:
        try:
            init_error = json.loads(failure.payload)
        except ValueError:
            init_error = {"errorMessage": failure.payload.decode("utf-8", "replace")}
    return web.json_response({"function": config.name, "retired": retired, "init_error": init_error})


def add_routes(app: web.Application, invoker: LambdaInvoker) -> None:
    app[INVOKER_KEY] = invoker
    app.router.add_post("/2015-03-31/functions/{name}/invocations", invoke)
    app.router.add_post("/_emulator/functions/{name}/reload", reload)
