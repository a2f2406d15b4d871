"""Organisation errors (codes are stable)."""

from hotline.core.errors import Conflict, HotlineError, NotFound


class UnitNotFound(NotFound):
    code = "unit_not_found"
    msg = "Organisation unit not found"


class UserNotFound(NotFound):
    code = "user_not_found"
    msg = "User not found"


class LoginFailed(HotlineError):
    code = "login_failed"
    http_status = 401
    msg = "Wrong username or password"


class UsernameTaken(Conflict):
    code = "username_taken"
    msg = "This username is already in use"
