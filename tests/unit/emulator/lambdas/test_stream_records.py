import datetime as dt

from emulator.event_sources.failure_destination import invocation_record
from emulator.event_sources.stream_records import build_event

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2024-01-01T00:00:00.000"


def _record(name: str, seq: str, new: bool = True, old: bool = False) -> dict:
    change: dict = {
        "ApproximateCreationDateTime": dt.datetime(2024, 1, 1, 12, 0, 5, tzinfo=dt.UTC),
        "Keys": {"pk": {"S": "a"}},
        "SequenceNumber": seq,
        "SizeBytes": 42,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if new:
        change["NewImage"] = {"pk": {"S": "a"}, "blob": {"B": b"\x00\x01"}}
    if old:
        change["OldImage"] = {"pk": {"S": "a"}}
    return {
        "eventID": f"id-{seq}",
        "eventName": name,
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": change,
    }


def test_records_map_to_the_lambda_dynamodb_event_shape() -> None:
    event = build_event(
        [
            _record("INSERT", "100"),
            _record("MODIFY", "101", old=True),
            _record("REMOVE", "102", new=False, old=True),
        ],
        STREAM,
        "us-east-1",
    )
    insert, modify, remove = event["Records"]
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["eventSourceARN"] == STREAM
    assert insert["awsRegion"] == "us-east-1"
    assert insert["eventID"] == "id-100"
    assert insert["eventVersion"]
    assert (
        insert["dynamodb"]["ApproximateCreationDateTime"]
        == dt.datetime(2024, 1, 1, 12, 0, 5, tzinfo=dt.UTC).timestamp()
    )
    assert insert["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert insert["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}  # binary as base64, as in Lambda's JSON
    assert "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"] == {"pk": {"S": "a"}}
    assert "NewImage" not in remove["dynamodb"]
    assert insert["dynamodb"]["SequenceNumber"] == "100"
    assert insert["dynamodb"]["SizeBytes"] == 42
    assert insert["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_a_ttl_deletion_keeps_its_service_identity_in_lambdas_spelling() -> None:
    # GetRecords spells the members PrincipalId and Type; the Lambda event, principalId and type.
    expired = {
        **_record("REMOVE", "103", new=False),
        "userIdentity": {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"},
    }
    by_caller = _record("REMOVE", "104", new=False)

    ttl, deleted = build_event([expired, by_caller], STREAM, "us-east-1")["Records"]

    assert ttl["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert "userIdentity" not in deleted


def test_failure_record_describes_the_discarded_batch() -> None:
    records = [_record("INSERT", "100"), _record("INSERT", "105")]
    doc = invocation_record(
        request_id="req",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:p",
        condition="RetryAttemptsExhausted",
        invoke_count=3,
        function_error="Unhandled",
        shard_id="shardId-1",
        stream_arn=STREAM,
        records=records,
        now=dt.datetime(2024, 1, 1, 12, 1, tzinfo=dt.UTC),
    )
    assert doc["version"] == "1.0"
    assert doc["timestamp"] == "2024-01-01T12:01:00.000Z"
    assert doc["requestContext"] == {
        "requestId": "req",
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 3,
    }
    assert doc["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert doc["DDBStreamBatchInfo"] == {
        "shardId": "shardId-1",
        "startSequenceNumber": "100",
        "endSequenceNumber": "105",
        "approximateArrivalOfFirstRecord": "2024-01-01T12:00:05Z",
        "approximateArrivalOfLastRecord": "2024-01-01T12:00:05Z",
        "batchSize": 2,
        "streamArn": STREAM,
    }
