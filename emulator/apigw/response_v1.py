"""Map a function's payload format 1.0 response to the HTTP response.

AWS (http-api-develop-integrations-lambda, "Lambda function response for format 1.0"): with 1.0 "Lambda
integrations must return a response in the following JSON format": `statusCode`, `headers`,
`multiValueHeaders`, `body`, `isBase64Encoded`. Unlike 2.0 nothing is inferred: an answer without
`statusCode` (a bare string, a list, an object without it) is malformed, and HTTP APIs answer every
malformed response 500 {"message":"Internal Server Error"} (http-api-troubleshooting-lambda).
Headers named in both maps take the `multiValueHeaders` values only (set-up-lambda-proxy-integrations:
"If the same key-value pair is specified in both, only the values from multiValueHeaders will appear").
A `cookies` field means nothing in 1.0 and is ignored. `content-type: application/json` is added when the
function sets none and the body is not empty, as for 2.0 (an emulator choice).
"""

from __future__ import annotations

from multidict import CIMultiDict

from emulator.apigw.errors import IntegrationError
from emulator.apigw.response_common import DROPPED, body_bytes, mapping, parse, scalar, status_code


def map_response(payload: bytes) -> tuple[int, CIMultiDict[str], bytes]:
    """(status, headers, body) for a function's raw response; raises IntegrationError when unmappable."""
    document = parse(payload)
    if not isinstance(document, dict) or "statusCode" not in document:
        raise IntegrationError("Lambda response for payload format 1.0 has no statusCode")
    status = status_code(document)
    multi = mapping(document, "multiValueHeaders")
    overridden = {name.lower() for name in multi}
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in mapping(document, "headers").items():
        if name.lower() not in DROPPED and name.lower() not in overridden:
            headers[name] = scalar(value)
    for name, values in multi.items():
        if not isinstance(values, list):
            raise IntegrationError(f"Lambda response multiValueHeaders[{name!r}] is not a list")
        if name.lower() not in DROPPED:
            for value in values:
                headers.add(name, scalar(value))
    data = body_bytes(document)
    if "Content-Type" not in headers and data:
        headers["Content-Type"] = "application/json"
    return status, headers, data
