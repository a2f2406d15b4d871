"""Customer and BSS errors (codes are stable)."""

from hotline.core.errors import Conflict, Forbidden, HotlineError, NotFound


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    msg = "Customer not found"


class VerificationRequired(Forbidden):
    code = "verification_required"
    msg = "Verify the customer's identity before business handling"


class PasswordLocked(HotlineError):
    code = "service_password_locked"
    http_status = 423
    msg = "The service password is locked after too many wrong tries"


class InitialPassword(Conflict):
    code = "initial_password"
    msg = "The customer still has the initial password; it must be changed first"


class BssRefused(Conflict):
    code = "bss_refused"
    msg = "The business operation was refused"
