"""Browser tests of the foundation: `live_server` and `browser` come from tests/conftest.py."""
