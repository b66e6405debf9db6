"""The CloudEvents webhook abuse-protection handshake (cloudevents/spec ``http-webhook.md`` §4).

Before a webhook-style sender delivers, it asks with ``OPTIONS`` and
``WebHook-Request-Origin: <origin>`` (optionally ``WebHook-Request-Rate: <per minute>``).
The receiver grants by answering ``WebHook-Allowed-Origin`` (that origin, or ``*``) and
``WebHook-Allowed-Rate`` (a number per minute, or ``*``); it grants nothing by leaving
them out. Permission is given synchronously here, never through the optional
``WebHook-Request-Callback``: the receiver calls out to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from satmon.contract.http.problems import Response, problem_response

ALLOW = "OPTIONS, POST"


def webhook_handshake(
    headers: Mapping[str, str],
    allowed_origins: Sequence[str],
    allowed_rate: int | None = None,
    how_to_allow: str = "",
) -> Response:
    """Answer an ``OPTIONS`` request: 200 granting the origin, 403 refusing it, 204 when
    the request was not a handshake (no ``WebHook-Request-Origin``).

    ``allowed_origins`` holds origin names (compared case-insensitively) or ``*``;
    ``allowed_rate`` is requests per minute, None for no limit.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    origin = lowered.get("webhook-request-origin", "").strip()
    if not origin:
        return "", 204, {"Allow": ALLOW}
    if not origin_allowed(origin, allowed_origins):
        detail = f"origin {origin!r} may not deliver events here"
        return problem_response(
            403,
            f"{detail}; {how_to_allow}" if how_to_allow else detail,
            "WebHook-Request-Origin",
            {"Allow": ALLOW},
        )
    rate = "*" if allowed_rate is None else str(allowed_rate)
    granted = {"Allow": ALLOW, "WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": rate}
    return "", 200, granted


def origin_allowed(origin: str, allowed_origins: Sequence[str]) -> bool:
    wanted = origin.lower()
    return any(a == "*" or a.lower() == wanted for a in allowed_origins)
