"""Reading moto's authorization errors back, for the interpreter's role-signed clients.

(The signature fix for bodiless role-signed requests is in :mod:`..iam_policies`.)

- moto answers an authorization failure in the query protocol's XML whatever the service's
  protocol, so botocore's JSON parsers read error code ``403`` and the XML as message. The
  clients of :mod:`.integrations` read the code and message back out of the XML, so errors are
  named as AWS names them (``Glue.AccessDeniedException``).
"""

from __future__ import annotations

import re
from typing import Any

_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


def read_xml_errors(client: Any) -> Any:
    """Register :func:`_xml_error` on ``client`` (returns it)."""
    client.meta.events.register("after-call", _xml_error)
    return client


def _xml_error(http_response: Any = None, parsed: Any = None, **_: Any) -> None:
    if not isinstance(parsed, dict) or http_response is None or http_response.status_code < 300:
        return
    error = parsed.get("Error")
    if not isinstance(error, dict) or not str(error.get("Code", "")).isdigit():
        return
    text = http_response.text or ""
    code = _XML_CODE.search(text)
    if code:
        error["Code"] = code.group(1)
        message = _XML_MESSAGE.search(text)
        error["Message"] = message.group(1) if message else ""
