"""Alembic migrations: one branch per domain (branch label = domain name); upgrade to 'heads'."""
