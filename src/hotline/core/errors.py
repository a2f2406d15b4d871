"""One error base class. JSON errors are {"code", "msg", "details"}; codes never change once shipped."""

from __future__ import annotations

from typing import Any


class HotlineError(Exception):
    code = "error"
    http_status = 400
    msg = "Request failed"

    def __init__(self, msg: str | None = None, **details: Any) -> None:
        super().__init__(msg or self.msg)
        self.msg = msg or self.msg
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg, "details": self.details}


class NotFound(HotlineError):
    code = "not_found"
    http_status = 404
    msg = "Not found"


class Forbidden(HotlineError):
    code = "forbidden"
    http_status = 403
    msg = "Not allowed"


class NotAuthenticated(HotlineError):
    code = "not_authenticated"
    http_status = 401
    msg = "Login required"


class Conflict(HotlineError):
    code = "conflict"
    http_status = 409
    msg = "Conflict"


class StaleVersion(Conflict):
    code = "stale_version"
    msg = "The record was changed by someone else; reload and try again"


class InvalidInput(HotlineError):
    code = "invalid_input"
    http_status = 422
    msg = "Invalid input"

    def __init__(self, field: str, msg: str, **details: Any) -> None:
        super().__init__(msg, field=field, **details)


class IllegalTransition(Conflict):
    code = "illegal_transition"
    msg = "This action is not allowed in the current state"


class RateLimited(HotlineError):
    code = "rate_limited"
    http_status = 429
    msg = "Too many attempts; try again later"
