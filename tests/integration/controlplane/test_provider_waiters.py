"""Against `python -m controlplane`: the first read-back already satisfies each waiter of a fresh apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

ACCOUNT = "123456789012"
TAGS = {"Environment": "local", "ManagedBy": "terraform", "Project": "books-cqrs"}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def _client(endpoint: str, service: str) -> Any:
    make_client: Any = boto3.client  # boto3's overloads accept only literal service names
    return make_client(service, endpoint_url=endpoint, region_name="us-east-1")


def _key(endpoint: str, name: str) -> tuple[Any, str]:
    """The key as aws_kms_key creates it (terraform/modules/kms_key): policy, tags, then rotation on."""
    kms = _client(endpoint, "kms")
    key_id = kms.create_key(
        Description=name,
        KeyUsage="ENCRYPT_DECRYPT",
        CustomerMasterKeySpec="SYMMETRIC_DEFAULT",
        Policy=json.dumps(POLICY),
        Tags=[{"TagKey": k, "TagValue": v} for k, v in TAGS.items()],
    )["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id)
    return kms, key_id


def _rotation(endpoint: str) -> tuple[object, object]:
    kms, key_id = _key(endpoint, "rotation")
    return kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"], True


def _key_policy(endpoint: str) -> tuple[object, object]:
    kms, key_id = _key(endpoint, "policy")
    return json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]), POLICY


def _key_tags(endpoint: str) -> tuple[object, object]:
    kms, key_id = _key(endpoint, "tags")
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    return {t["TagKey"]: t["TagValue"] for t in tags}, TAGS


def _key_description(endpoint: str) -> tuple[object, object]:
    kms, key_id = _key(endpoint, "description")
    kms.update_key_description(KeyId=key_id, Description="changed")
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"], "changed"


def _queue_attributes(endpoint: str) -> tuple[object, object]:
    """The attributes aws_sqs_queue sends to CreateQueue (terraform/modules/sqs_queue), as strings."""
    _, key_id = _key(endpoint, "queue")
    sent = {
        "DelaySeconds": "0",
        "KmsDataKeyReusePeriodSeconds": "300",
        "KmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}",
        "MaximumMessageSize": "262144",
        "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
    }
    sqs = _client(endpoint, "sqs")
    url = sqs.create_queue(QueueName="waiter-dlq", Attributes=sent, tags=TAGS)["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {name: got.get(name) for name in sent}, sent


def _function_state(endpoint: str) -> tuple[object, object]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = _client(endpoint, "iam").create_role(
        RoleName="waiter-fn", AssumeRolePolicyDocument=json.dumps(trust)
    )
    lam = _client(endpoint, "lambda")
    lam.create_function(
        FunctionName="waiter-fn",
        Role=role["Role"]["Arn"],
        PackageType="Image",
        Code={"ImageUri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/waiter-fn@sha256:{'0' * 64}"},
        ImageConfig={"Command": ["books.entrypoints.query.handler"]},
    )
    return lam.get_function(FunctionName="waiter-fn")["Configuration"]["State"], "Active"


# (provider waiter in hashicorp/aws 5.100.0, what its check compares); each needs N target answers in a row
# with a fixed pause between them, so an answer that matched only later would add whole pauses to the apply.
CASES: list[tuple[str, Callable[[str], tuple[object, object]]]] = [
    ("kms.waitKeyRotationEnabledPropagated", _rotation),
    ("kms.waitKeyPolicyPropagated", _key_policy),
    ("kms.waitTagsPropagated", _key_tags),
    ("kms.waitKeyDescriptionPropagated", _key_description),
    ("sqs.waitQueueAttributesPropagated", _queue_attributes),
    ("lambda.waitFunctionCreated", _function_state),
]


@pytest.mark.parametrize(("waiter", "read_back"), CASES, ids=[case[0] for case in CASES])
def test_the_first_read_back_already_satisfies_the_waiter(
    moto_endpoint: str, waiter: str, read_back: Callable[[str], tuple[object, object]]
) -> None:
    got, expected = read_back(moto_endpoint)
    assert got == expected, waiter
