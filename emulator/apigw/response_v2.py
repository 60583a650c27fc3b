"""Map a function's payload format 2.0 response to the HTTP response.

AWS (http-api-develop-integrations-lambda, "Lambda function response for format 2.0"):
- JSON object with `statusCode`: status, `headers`, `cookies` (each a set-cookie header), `body`,
  `isBase64Encoded` (body base64-decoded);
- any other valid JSON without `statusCode`: status 200, content-type application/json, the JSON as body
  (a JSON string is sent as the string itself);
- anything API Gateway cannot map (not JSON, bad statusCode, non-string body, bad base64) is
  500 {"message":"Internal Server Error"}.
"""

from __future__ import annotations

from multidict import CIMultiDict

from emulator.apigw.errors import IntegrationError
from emulator.apigw.response_common import DROPPED, body_bytes, mapping, parse, scalar, status_code


def map_response(payload: bytes) -> tuple[int, CIMultiDict[str], bytes]:
    """(status, headers, body) for a function's raw response; raises IntegrationError when unmappable."""
    document = parse(payload)
    headers: CIMultiDict[str] = CIMultiDict()
    if not isinstance(document, dict) or "statusCode" not in document:
        headers["Content-Type"] = "application/json"
        text = document if isinstance(document, str) else payload.decode("utf-8")
        return 200, headers, text.encode("utf-8")
    status = status_code(document)
    for name, value in mapping(document, "headers").items():
        if name.lower() not in DROPPED:
            headers[name] = scalar(value)
    for name, values in mapping(document, "multiValueHeaders").items():
        if name.lower() not in DROPPED:
            for value in values if isinstance(values, list) else [values]:
                headers.add(name, scalar(value))
    cookies = document.get("cookies") or []
    if not isinstance(cookies, list):
        raise IntegrationError("Lambda response cookies is not a list")
    for cookie in cookies:
        headers.add("Set-Cookie", scalar(cookie))
    data = body_bytes(document)
    if "Content-Type" not in headers and data:
        headers["Content-Type"] = "application/json"
    return status, headers, data
