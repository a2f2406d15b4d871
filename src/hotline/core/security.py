"""Passwords (argon2), opaque tokens and masking of personal numbers."""

from __future__ import annotations

import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A hash to verify against when the user is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; unknown users are checked against a dummy hash to keep timing equal."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mask_phone(number: str | None) -> str:
    """138****1234 for mobiles; keep the first 3 and last 4 of anything long enough."""
    if not number:
        return ""
    digits = number.strip()
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:] if len(digits) > 2 else "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(value: str | None) -> str:
    """Resident ID: keep the first 3 and the last 4 (420***********123X)."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)


PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_RE = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def find_unmasked(text: str) -> list[str]:
    """Every full mobile or resident-ID number in a text (used by tests and log scrubbing)."""
    return PHONE_RE.findall(text) + ID_RE.findall(text)


def scrub(text: str) -> str:
    """Mask every phone or ID number in free text (logs)."""
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
