"""Fingerprints name moto's own source, see through our stand-ins, and notice an operation moto gains."""

from __future__ import annotations

import pytest

from controlplane import apigatewayv2_patches, moto_patches
from controlplane.fingerprints import ABSENT, fingerprint, source_fingerprint, stand_in

UPDATE_STAGE = "moto.apigatewayv2.responses.ApiGatewayV2Response.update_stage"


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        pytest.param("moto.apigatewayv2.models.Stage.no_such_method", ABSENT, id="missing-attribute"),
        pytest.param("moto.no_such_module.Thing.method", ABSENT, id="missing-module"),
        pytest.param(UPDATE_STAGE, ABSENT, id="operation-moto-lacks"),
    ],
)
def test_what_moto_does_not_have_is_absent(dotted: str, expected: str) -> None:
    assert fingerprint(dotted) == expected


def test_a_stand_in_keeps_the_fingerprint_of_what_it_replaced() -> None:
    class Owner:
        def present(self) -> str:
            return "moto's"

    def ours_present(self: object) -> str:
        return "ours"

    def ours_absent(self: object) -> str:
        return "ours"

    before = source_fingerprint(Owner.present)
    stand_in(Owner, "present", ours_present)
    stand_in(Owner, "absent", ours_absent)
    assert Owner.present is ours_present
    assert source_fingerprint(ours_present.__moto_original__) == before  # type: ignore[attr-defined]
    assert ours_absent.__moto_original__ is None  # type: ignore[attr-defined]


def test_apply_refuses_a_moto_that_gained_an_operation_we_stand_in_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    def update_stage(self: object) -> None:  # what an upgraded moto would bring
        raise AssertionError("not called")

    monkeypatch.setattr(ApiGatewayV2Response, "update_stage", update_stage, raising=False)
    assert UPDATE_STAGE in apigatewayv2_patches.current_fingerprints()
    assert moto_patches.changed_sources()[UPDATE_STAGE] != ABSENT
    with pytest.raises(RuntimeError, match=r"moto changed moto\.apigatewayv2\.responses"):
        moto_patches.apply()
