"""Two fixes at the edge between moto's IAM checks and botocore, met by role-signed calls.

- moto recomputes the SigV4 signature of a request from its body, or, when the body is empty,
  from the parsed request data, which for a bodiless GET/HEAD/DELETE of a REST service is the
  header dict: every such call by an assumed role (EMR Serverless ``GetJobRun``, Lambda
  ``GetFunction``, ...) failed with ``SignatureDoesNotMatch``. A bodiless request is signed
  over an empty payload, as botocore signed it. (Belongs with :mod:`..iam`; here because
  ``.sync`` polls need it.)
- moto answers an authorization failure in the query protocol's XML whatever the service's
  protocol, so botocore's JSON parsers read error code ``403`` and the XML as message. The
  clients of :mod:`.integrations` read the code and message back out of the XML, so errors are
  named as AWS names them (``Glue.AccessDeniedException``).
"""

from __future__ import annotations

import re
from typing import Any

_installed = False
_XML_CODE = re.compile(r"<Code>([^<]+)</Code>")
_XML_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
_BODILESS = ("GET", "HEAD", "DELETE")


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam.access_control import IAMRequestBase

    create = IAMRequestBase._create_aws_request

    def create_aws_request(self: Any) -> Any:
        if not self._body and str(self._method).upper() in _BODILESS:
            # Only for the signature: the S3 access-denied path reads ``_data`` as a dict later.
            saved, self._data = self._data, b""
            try:
                return create(self)
            finally:
                self._data = saved
        return create(self)

    IAMRequestBase._create_aws_request = create_aws_request  # type: ignore[method-assign]
    _installed = True


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
