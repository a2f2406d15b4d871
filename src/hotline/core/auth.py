"""Access policy: permissions with dotted names, roles as sets of permissions with a scope, and the ONE
function (`allowed`) that decides every read and write, for REST, pages, WebSocket, export and search.

Scopes, narrowest first: self < team < region < province < hq. A grant's scope is measured from the
user's own place in the organisation tree (materialised paths such as "/1/2/5/9/"). Customer data never
crosses a province boundary: permissions under `customers.` and `bss.` need the user to belong to the
resource's province, whatever the scope."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPES = ("self", "team", "region", "province", "hq")
_RANK = {s: i for i, s in enumerate(SCOPES)}

# The declared policy: role -> {permission: scope}. Tests generate the authorisation matrix from it.
P, H = "province", "hq"  # shorthands for the table below
ROLES: dict[str, dict[str, str]] = {
    "agent": {
        "home.agent": "self",
        "customers.read": P, "customers.verify": P, "bss.execute": P,
        "contacts.desktop": "self", "contacts.read": "self",
        "tickets.read": "self", "tickets.create": P,
        "kb.read": P, "kb.feedback": P,
        "users.read": "self",
    },
    "expert_seat": {
        "home.agent": "self",
        "customers.read": P, "customers.verify": P, "bss.execute": P,
        "contacts.desktop": "self", "contacts.read": "self",
        "tickets.read": P, "tickets.create": P, "tickets.handle": P,
        "kb.read": P, "kb.feedback": P,
        "users.read": "self",
    },
    "team_leader": {
        "home.supervisor": "team",
        "customers.read": P, "customers.reveal": P,
        "contacts.read": "team", "contacts.supervise": "team", "wallboard.read": "team",
        "tickets.read": "team", "kb.read": P, "kb.feedback": P,
        "users.read": "team", "org.read": "team", "audit.read": "team",
        "reports.read": "team", "qa.read": "team",
    },
    "shift_leader": {
        "home.supervisor": "region",
        "customers.read": P, "customers.reveal": P,
        "contacts.read": "region", "contacts.supervise": "region", "wallboard.read": "region",
        "tickets.read": "region", "kb.read": P,
        "users.read": "region", "org.read": "region", "audit.read": "region", "reports.read": "region",
    },
    "supervisor": {
        "home.supervisor": P,
        "customers.read": P, "customers.reveal": P,
        "contacts.read": P, "contacts.supervise": P, "wallboard.read": P,
        "tickets.read": P, "kb.read": P, "kb.report": P,
        "users.read": P, "org.read": P, "audit.read": P, "reports.read": P,
    },
    "qa_inspector": {
        "home.qa": P,
        "customers.read": P, "contacts.read": P, "qa.read": P, "qa.score": P,
        "kb.read": P, "kb.feedback": P, "kb.report": P, "tickets.read": P, "users.read": P, "reports.read": P,
    },
    "trainer": {
        "home.trainer": P,
        "users.read": P, "qa.read": P, "kb.read": P, "kb.edit": P, "kb.report": P, "reports.read": P,
    },
    "knowledge_editor": {
        "home.knowledge": P,
        "kb.read": P, "kb.edit": P, "kb.review": P, "kb.publish": P, "kb.manage": P, "kb.report": P,
        "tickets.read": P, "users.read": "self",
    },
    "workforce_planner": {
        "home.wfm": P,
        "wfm.read": P, "wfm.plan": P, "wallboard.read": P, "reports.read": P,
        "users.read": P, "org.read": P, "contacts.read": P,
    },
    "backoffice": {
        "home.backoffice": "team",
        "tickets.read": "team", "tickets.dept": "team",
        "customers.read": P, "kb.read": P, "users.read": "self",
    },
    "centre_manager": {
        "home.manager": P,
        "customers.read": P, "customers.reveal": P,
        "contacts.read": P, "contacts.supervise": P, "wallboard.read": P,
        "tickets.read": P, "tickets.handle": P, "kb.read": P, "kb.report": P,
        "users.read": P, "org.read": P, "audit.read": P, "reports.read": P, "wfm.read": P, "qa.read": P,
        "standards.manage": P,
    },
    "hq_analyst": {
        "home.hq": H,
        "reports.read": H, "reports.aggregate": H, "org.read": H, "standards.read": H,
        "users.read": "self",
    },
    "administrator": {
        "home.admin": P,
        "org.read": P, "org.manage": P, "users.read": P, "users.manage": P,
        "audit.read": P, "audit.verify": P, "standards.manage": P, "standards.read": P,
        "customers.read": P, "kb.read": P, "kb.manage": P, "reports.read": P,
        "contacts.read": P, "contacts.manage": P, "tickets.read": P, "tickets.manage": P,
        "wallboard.read": P, "wfm.read": P,
    },
}
del P, H

ROLE_NAMES = tuple(ROLES)
PROVINCE_BOUND = ("customers.", "bss.")


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the policy sees them."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    unit_path: str  # the user's own unit, e.g. "/1/2/5/9/"
    team_path: str | None = None
    region_path: str | None = None
    province_path: str | None = None
    province_id: int | None = None
    locale: str = "zh_CN"
    grants: dict[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, **kwargs: object) -> "Principal":
        roles = frozenset(kwargs.pop("roles"))  # type: ignore[arg-type]
        return cls(roles=roles, grants=grants_for(roles), **kwargs)  # type: ignore[arg-type]

    def can(self, permission: str) -> bool:
        """May the user use this permission anywhere at all (menus, route guards)?"""
        return permission in self.grants

    def scope_root(self, scope: str) -> str | None:
        """The org path a grant of this scope reaches; None for 'self'."""
        if scope == "self":
            return None
        if scope == "hq":
            return "/"
        path = {"team": self.team_path, "region": self.region_path, "province": self.province_path}[scope]
        # A user placed above that level (e.g. a province manager with a team-scoped grant) reaches their unit.
        return path or self.unit_path


def grants_for(roles: frozenset[str] | set[str]) -> dict[str, str]:
    """Merge roles: each permission gets the widest scope any role grants."""
    merged: dict[str, str] = {}
    for role in roles:
        for perm, scope in ROLES.get(role, {}).items():
            if perm not in merged or _RANK[scope] > _RANK[merged[perm]]:
                merged[perm] = scope
    return merged


@dataclass(frozen=True)
class Resource:
    """Where a thing sits: its org path and, for personal things, its owner."""

    org_path: str
    owner_id: int | None = None


def allowed(principal: Principal, permission: str, resource: Resource | None = None) -> bool:
    """THE policy decision: may this principal use this permission on this resource?"""
    scope = principal.grants.get(permission)
    if scope is None:
        return False
    if resource is None:
        return True
    if permission.startswith(PROVINCE_BOUND):
        if not principal.province_path or not resource.org_path.startswith(principal.province_path):
            return False
    if scope == "self":
        return resource.owner_id is not None and resource.owner_id == principal.user_id
    root = principal.scope_root(scope)
    return root is not None and resource.org_path.startswith(root)


def visible_prefix(principal: Principal, permission: str) -> str | None:
    """The org-path prefix a list query must filter on (None: nothing visible; 'self' scope: own path)."""
    scope = principal.grants.get(permission)
    if scope is None:
        return None
    if permission.startswith(PROVINCE_BOUND) and not principal.province_path:
        return None
    if scope == "self":
        return principal.unit_path
    return principal.scope_root(scope)
