"""Tiny handlers the integration tests run under the real awslambdaric."""

import json
import os
import sys
import time

_STARTED_AT = time.time()
_CALLS = {"count": 0}


def echo(event, context):
    """Echoes; {"crash": true} exits the process, {"raise": "msg"} raises, {"sleep": s} sleeps."""
    _CALLS["count"] += 1
    print(f"echo called with {json.dumps(event)}")
    if event.get("crash"):
        sys.stdout.flush()
        os._exit(3)
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("sleep"):
        time.sleep(float(event["sleep"]))
    return {
        "event": event,
        "pid": os.getpid(),
        "calls": _CALLS["count"],
        "request_id": context.aws_request_id,
        "function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {key: os.environ.get(key) for key in sorted(os.environ)},
    }


def crash(event, context):
    print("about to crash")
    sys.stdout.flush()
    os._exit(3)


def fail(event, context):
    raise ValueError(f"bad input: {event.get('value')}")


def sleep(event, context):
    time.sleep(float(event.get("seconds", 10)))
    return {"slept": True}


def stream(event, context):
    """Records whose NewImage/OldImage has fail=true are reported as batch item failures."""
    failures = []
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
        print(
            json.dumps(
                {
                    "eventName": record["eventName"],
                    "seq": record["dynamodb"]["SequenceNumber"],
                    "keys": record["dynamodb"]["Keys"],
                }
            )
        )
        if image.get("fail", {}).get("BOOL"):
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}


def noop(event, context):
    return event
