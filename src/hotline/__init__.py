"""Hotline: an open-source platform for a telecom operator's customer-service centre."""

__version__ = "0.1.0"

# Domain packages, in dependency order. Each may have models.py, api.py, pages.py, cli.py, jobs.py.
DOMAINS = (
    "org",
    "customers",
    "contacts",
    "tickets",
    "knowledge",
    "wfm",
    "quality",
    "outbound",
    "reports",
    "sim",
)
