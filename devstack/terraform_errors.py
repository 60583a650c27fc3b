"""One line for a Terraform failure the local control plane caused: which resource, which call, how to recover."""

from __future__ import annotations

import re

# terraform -no-color prints each diagnostic as "Error: <summary>" followed, a blank line later, by
# "with <resource address>,". The AWS SDK's part of the summary names the service, operation and status.
_DIAGNOSTIC = re.compile(
    r"^(?:│ )?Error: (?P<summary>.+?)\n(?:│ )?\s*\n(?:│ )?\s*with (?P<address>[^,\n]+),", re.M
)
_CALL = re.compile(
    r"operation error (?P<service>[\w .-]+?): (?P<operation>\w+),"
    r"(?: exceeded maximum number of attempts, (?P<attempts>\d+),)?"
    r" https response error StatusCode: (?P<status>\d{3})"
)
RECREATE = "`make local-down && make local-up` recreates the local stack from scratch"


def _recovery(output: str, address: str, operation: str) -> str:
    """How to get past an unimplemented call, by what terraform was doing to the resource."""
    if f"{address}: Modifying..." in output:
        return f"{RECREATE} (creating it needs no {operation}), or revert the change to {address}"
    if f"{address}: Destroying..." in output:
        return RECREATE
    # Creating it, or reading it back: moto cannot hold this resource at all.
    return f"the local stack cannot have {address}: leave it out locally, or add {operation} to controlplane/"


def control_plane_failure(output: str, log_hint: str = "") -> str | None:
    """The first diagnostic caused by a 5xx from the control plane, as one line; None if there is none."""
    diagnostics = [(m["address"].strip(), m["summary"]) for m in _DIAGNOSTIC.finditer(output)]
    for address, summary in diagnostics:
        call = _CALL.search(summary)
        if call is None or not call["status"].startswith("5"):
            continue
        service, operation, status = call["service"], call["operation"], call["status"]
        more = f" (and {len(diagnostics) - 1} more errors)" if len(diagnostics) > 1 else ""
        where = f"; terraform output: {log_hint}" if log_hint else ""
        if status == "501":
            hint = _recovery(output, address, operation)
            return (
                f"{address}: {service} {operation} is not implemented by the local control plane (moto): "
                f"{hint}{more}{where}"
            )
        attempts = f" after {call['attempts']} attempts" if call["attempts"] else ""
        return (
            f"{address}: {service} {operation} failed in the local control plane (moto) with HTTP {status}"
            f"{attempts}: see its log; {RECREATE}{more}{where}"
        )
    return None
