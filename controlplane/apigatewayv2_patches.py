"""moto's API Gateway v2 gaps: UpdateStage, and UpdateRoute clearing scopes and the authorizer."""

from __future__ import annotations

import functools
import inspect
import json
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from controlplane.fingerprints import ABSENT, fingerprints, stand_in

# moto 5.2.5. The stage fields below are the ones Stage.__init__ reads and Stage.to_json writes; the route
# fix runs after Route.update; the two update_stage are absent (moto answers NotImplementedError).
REVIEWED_SOURCES = {
    "moto.apigatewayv2.models.Stage.__init__": "9d8de03667415664328d3ac459156aef4fe0274cb61aec013b5696a5baad8295",
    "moto.apigatewayv2.models.Stage.to_json": "a44e4ccc0be986f46575d9544b52242917d0c6f9f8f9e25353863fb4534c51f5",
    "moto.apigatewayv2.models.Route.update": "c7ff9fa9b873923b76aab7cc65d7ef8161bc893751e3fe16abe4f589b097c161",
    "moto.apigatewayv2.models.ApiGatewayV2Backend.get_stage": "ecd6cc52ba84da22f49eba12e0e1dabdff0220ee6a025ac3eb13ac88d662392d",
    "moto.apigatewayv2.models.ApiGatewayV2Backend.update_stage": ABSENT,
    "moto.apigatewayv2.responses.ApiGatewayV2Response.update_stage": ABSENT,
}


def current_fingerprints() -> dict[str, str]:
    return fingerprints(REVIEWED_SOURCES)


def update_stage_fields(stage: Any, config: dict[str, Any]) -> None:
    """Apply an UpdateStage body (JSON names) to a moto Stage; fields absent from the body stay as they are.

    AWS's reference documents the fields, not how nested ones combine; we follow what the Terraform
    provider relies on: an empty accessLogSettings removes access logging, routeSettings are kept per route
    key (DeleteRouteSettings removes one), a stage variable set to "" is removed. defaultRouteSettings and
    each route's settings are merged field by field, so a partial update keeps the other limits.
    """
    if "accessLogSettings" in config:
        settings = config["accessLogSettings"] or {}
        stage.access_log_settings = dict(settings) if settings.get("destinationArn") else None
    if "autoDeploy" in config:
        stage.auto_deploy = config["autoDeploy"]
    if "clientCertificateId" in config:
        stage.client_certificate_id = config["clientCertificateId"] or None
    if "defaultRouteSettings" in config:
        stage.default_route_settings = {**stage.default_route_settings, **config["defaultRouteSettings"]}
    if "deploymentId" in config:
        stage.deployment_id = config["deploymentId"] or None
    if "description" in config:
        stage.description = config["description"] or None
    for route_key, settings in (config.get("routeSettings") or {}).items():
        stage.route_settings[route_key] = {**stage.route_settings.get(route_key, {}), **settings}
    for name, value in (config.get("stageVariables") or {}).items():
        if value == "":
            stage.stage_variables.pop(name, None)
        else:
            stage.stage_variables[name] = value
    stage.updated = datetime.now()


def _backend_update_stage(self: Any, api_id: str, stage_name: str, config: dict[str, Any]) -> Any:
    stage = self.get_stage(api_id, stage_name)  # NotFoundException for an unknown API or stage
    update_stage_fields(stage, config)
    return stage


def _response_update_stage(self: Any) -> tuple[int, dict[str, str], str]:
    # PATCH /v2/apis/{apiId}/stages/{stageName}; the answer is the stage, as GetStage returns it.
    parts = self.path.split("/")
    stage = self.apigatewayv2_backend.update_stage(
        parts[-3], unquote(parts[-1]), json.loads(self.body or "{}")
    )
    return 200, {}, json.dumps(stage.to_json())


def _stage_json_with_deployment(original: Any) -> Any:
    """moto never returns deploymentId; AWS returns the stage's deployment (set by CreateStage or UpdateStage)."""

    @functools.wraps(original)
    def to_json(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self)
        deployment_id = self.__dict__.get("deployment_id", self.config.get("deploymentId"))
        if deployment_id:
            result["deploymentId"] = deployment_id
        return result

    return to_json


def _route_update_clearing(original: Any) -> Any:
    """moto keeps the old scopes on an explicit authorizationScopes: [] (it tests the list for truth).

    AWS sets what the request names: an empty list clears the scopes. A route whose authorization type
    becomes NONE has no authorizer and no scopes (they apply to JWT and Lambda authorizers only).
    """
    signature = inspect.signature(original)

    @functools.wraps(original)
    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        given = signature.bind(self, *args, **kwargs).arguments
        if given.get("authorization_scopes") is not None:
            self.authorization_scopes = list(given["authorization_scopes"])
        if given.get("authorization_type") == "NONE":
            self.authorizer_id = None
            self.authorization_scopes = []

    return update


def install() -> None:
    from moto.apigatewayv2.models import ApiGatewayV2Backend, Route, Stage
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    stand_in(ApiGatewayV2Backend, "update_stage", _backend_update_stage)
    stand_in(ApiGatewayV2Response, "update_stage", _response_update_stage)
    Stage.to_json = _stage_json_with_deployment(Stage.to_json)  # type: ignore[method-assign]
    Route.update = _route_update_clearing(Route.update)  # type: ignore[method-assign]
