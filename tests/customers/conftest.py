from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.core.audit import Actor
from hotline.customers.models import Customer
from hotline.org import service as org_service
from hotline.org.models import OrgUnit, User


@pytest.fixture
def who(db, seeded):  # type: ignore[no-untyped-def]
    """who("agent") -> (principal, actor) for a demo login."""

    def _who(username: str):  # type: ignore[no-untyped-def]
        user = db.execute(select(User).where(User.username == username)).scalar_one()
        return org_service.principal_for(db_session=db, user=user), Actor(user.id, user.username, "127.0.0.1")

    return _who


@pytest.fixture
def customer_in(db, seeded):  # type: ignore[no-untyped-def]
    """customer_in("HB", initial=False) -> a customer of that province."""

    def _pick(code: str, initial: bool = False, offset: int = 0) -> Customer:
        province = db.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one()
        return db.execute(select(Customer).where(Customer.province_id == province.id,
                                                 Customer.password_is_initial.is_(initial),
                                                 Customer.status == "active")
                          .order_by(Customer.id).offset(offset).limit(1)).scalar_one()

    return _pick
