"""The navigation: which areas a user sees, by permission; role labels."""

from __future__ import annotations

from hotline.core.auth import Principal

# (permission that opens it, label, href, key). A domain's pages appear once its routes exist.
TILES = [
    ("contacts.desktop", "Agent desktop", "/desktop", "desktop"),
    ("wallboard.read", "Wallboard", "/wallboard", "wallboard"),
    ("customers.read", "Customers", "/customers", "customers"),
    ("tickets.read", "Work orders", "/tickets", "tickets"),
    ("tickets.dept", "Department portal", "/tickets/portal", "portal"),
    ("kb.read", "Knowledge base", "/kb", "kb"),
    ("wfm.read", "Workforce", "/wfm", "wfm"),
    ("wfm.plan", "What-if simulation", "/sim", "sim"),
    ("reports.read", "Reports", "/reports", "reports"),
    ("contacts.manage", "IVR menus", "/ivr", "ivr"),
    ("org.read", "Organisation", "/org", "org"),
    ("users.read", "People", "/users", "users"),
    ("audit.read", "Audit log", "/audit", "audit"),
]

ROLE_LABELS = {
    "agent": "Agent",
    "expert_seat": "Expert seat",
    "team_leader": "Team leader",
    "shift_leader": "Shift leader",
    "supervisor": "On-site supervisor",
    "qa_inspector": "QA inspector",
    "trainer": "Trainer",
    "knowledge_editor": "Knowledge editor",
    "workforce_planner": "Workforce planner",
    "backoffice": "Back-office department",
    "centre_manager": "Centre manager",
    "hq_analyst": "HQ analyst",
    "administrator": "Administrator",
}

_mounted: set[str] = set()


def mount_paths(paths: set[str]) -> None:
    """Told by create_app which page paths exist, so links never lead to a 404."""
    _mounted.clear()
    _mounted.update(paths)


def nav_tiles(principal: Principal | None) -> list[tuple[str, str, str, str]]:
    if principal is None:
        return []
    return [t for t in TILES if principal.can(t[0]) and (not _mounted or t[2] in _mounted)]


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role)
