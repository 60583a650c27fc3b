"""The dispatch caches answer what moto would, apply once, and refuse a moto whose cached functions changed."""

from __future__ import annotations

import pytest
from moto import backends
from moto.core import responses, utils
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.sqs.responses import SQSResponse

from controlplane import dispatch_patches


@pytest.fixture(scope="module", autouse=True)
def patched() -> None:
    # Only our caches: moto_patches.apply() would replace functions that test_moto_patches fingerprints.
    dispatch_patches.apply()


def test_installed_moto_has_the_reviewed_sources() -> None:
    # If this fails after a moto upgrade, re-read each named function, update the cache and its hash.
    assert dispatch_patches.changed_sources() == {}


def test_apply_refuses_a_changed_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        dispatch_patches.REVIEWED_SOURCES, "moto.core.utils.method_names_from_class", "0" * 64
    )
    with pytest.raises(RuntimeError, match=r"moto changed moto\.core\.utils\.method_names_from_class"):
        dispatch_patches.apply()


def test_apply_twice_wraps_once() -> None:
    before = utils.method_names_from_class
    dispatch_patches.apply()
    assert utils.method_names_from_class is before
    assert responses.method_names_from_class is before  # type: ignore[attr-defined]


def test_module_list_is_the_packages_folders() -> None:
    original = dispatch_patches._original(backends.list_of_moto_modules)
    assert backends.list_of_moto_modules() == tuple(original())
    assert "dynamodb" in backends.list_of_moto_modules()


@pytest.mark.parametrize(
    "host",
    [
        None,
        "moto_api",
        "dynamodb",
        "dynamodbstreams",
        "sqs.us-east-1.amazonaws.com",
        "kms.eu-west-1.amazonaws.com",
        "lambda.us-east-1.amazonaws.com",
        "nothing.example",
    ],
)
def test_backend_for_host_is_what_moto_finds(host: str | None) -> None:
    app = DomainDispatcherApplication(create_backend_app)
    original = dispatch_patches._original(DomainDispatcherApplication.get_backend_for_host)
    assert app.get_backend_for_host(host) == original(app, host)
    assert app.get_backend_for_host(host) == original(app, host)  # the second answer comes from the cache


@pytest.mark.parametrize("clazz", [DynamoHandler, SQSResponse])
def test_method_names_are_what_moto_lists(clazz: type) -> None:
    original = dispatch_patches._original(utils.method_names_from_class)
    assert utils.method_names_from_class(clazz) == original(clazz)
    assert "get_item" in utils.method_names_from_class(DynamoHandler)
