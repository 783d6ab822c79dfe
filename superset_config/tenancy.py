"""Tenancy in Superset: each project a role that reads every Ollive dataset through a row-level
security filter on its `project_id`, and the users mapped to projects by the settings.

`OLLIVE_SUPERSET_TENANTS` (JSON, project id -> usernames) is the truth, applied on every start:
a listed project gets the role `Ollive project <id>` (datasource access to each dataset of the
bundle, nothing else) and the Regular RLS filter of the same name; a listed user gets the role
(and Gamma, the read-only base role); a project or user no longer listed loses them. Filters
share the group key `project_id`, so a user of two projects sees both (Superset ORs a group).
Admins hold no project role and see every project. Users are not created here: an operator
makes them (`superset fab create-user`, the Security menu, or SSO). Runs inside the bootstrap,
with Superset's app context, through Superset's own security manager and RLS model.
"""

from __future__ import annotations

import json
import re
import uuid

import yaml
from bundle import BUNDLE_DIR

PREFIX = "Ollive project "
GROUP_KEY = "project_id"
BASE_ROLE = "Gamma"
# project ids as they appear in the clause: no quote, backslash or space can reach the SQL
PROJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")


def parse_tenants(text: str) -> dict[str, list[str]]:
    """`{"project": ["user", ...]}` from the setting; refuses ids that could not be quoted."""
    tenants = json.loads(text or "{}")
    if not isinstance(tenants, dict) or not all(
        isinstance(users, list) and all(isinstance(u, str) for u in users)
        for users in tenants.values()
    ):
        raise SystemExit('OLLIVE_SUPERSET_TENANTS must be {"<project_id>": ["<username>", ...]}')
    bad = sorted(p for p in tenants if not PROJECT_ID.match(p))
    if bad:
        raise SystemExit(f"OLLIVE_SUPERSET_TENANTS: project ids not allowed: {bad}")
    return tenants


def clause(project_id: str) -> str:
    return f"{GROUP_KEY} = '{project_id}'"


def bundle_dataset_uuids() -> list[uuid.UUID]:
    """Every dataset of the bundle in git, by its stable UUID."""
    return [
        uuid.UUID(yaml.safe_load(path.read_text())["uuid"])
        for path in sorted((BUNDLE_DIR / "datasets").rglob("*.yaml"))
    ]


def sync_tenants(tenants: dict[str, list[str]]) -> dict[str, int]:
    """Bring roles, RLS filters and user grants to `tenants`; returns what it counted."""
    from superset import security_manager
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    wanted = set(bundle_dataset_uuids())
    tables = db.session.query(SqlaTable).filter(SqlaTable.uuid.in_(wanted)).all()
    if len(tables) != len(wanted):
        raise SystemExit(f"tenancy: {len(wanted) - len(tables)} bundle datasets not imported")
    roles = {project: _project_role(project, tables) for project in tenants}
    for project, role in roles.items():
        _project_filter(project, role, tables)
    dropped = _drop_unlisted(set(tenants))
    missing = _grant(tenants, roles, security_manager.find_role(BASE_ROLE))
    db.session.commit()
    for username in missing:
        print(f"superset tenancy: user {username!r} does not exist yet; create it", flush=True)
    return {"projects": len(roles), "dropped": dropped, "missing_users": len(missing)}


def _project_role(project: str, tables: list) -> object:
    """The role with datasource access to exactly the bundle's datasets."""
    from superset import security_manager

    role = security_manager.add_role(PREFIX + project, commit=False)
    role.permissions = [
        security_manager.add_permission_view_menu("datasource_access", table.perm)
        for table in tables
    ]
    return role


def _project_filter(project: str, role: object, tables: list) -> None:
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db
    from superset.utils.core import RowLevelSecurityFilterType

    name = PREFIX + project
    rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
    if rls is None:
        rls = RowLevelSecurityFilter(name=name)
        db.session.add(rls)
    rls.description = f"Rows of project {project} only (superset_config/tenancy.py)."
    rls.filter_type = RowLevelSecurityFilterType.REGULAR
    rls.group_key = GROUP_KEY
    rls.clause = clause(project)
    rls.roles = [role]
    rls.tables = list(tables)


def _drop_unlisted(projects: set[str]) -> int:
    """Remove the filters and roles of projects no longer in the settings."""
    from superset import security_manager
    from superset.connectors.sqla.models import RowLevelSecurityFilter
    from superset.extensions import db

    stale = [
        rls
        for rls in db.session.query(RowLevelSecurityFilter).all()
        if rls.name.startswith(PREFIX) and rls.name[len(PREFIX) :] not in projects
    ]
    for rls in stale:
        db.session.delete(rls)
    roles = [
        role
        for role in security_manager.get_all_roles()
        if role.name.startswith(PREFIX) and role.name[len(PREFIX) :] not in projects
    ]
    for role in roles:
        for user in security_manager.get_all_users():
            if role in user.roles:
                user.roles.remove(role)
        db.session.delete(role)
    return len(roles)


def _grant(tenants: dict[str, list[str]], roles: dict, base_role: object) -> list[str]:
    """Each user gets exactly the project roles the settings give it; returns unknown users."""
    from superset import security_manager

    projects_of: dict[str, set[str]] = {}
    for project, usernames in tenants.items():
        for username in usernames:
            projects_of.setdefault(username, set()).add(project)
    for user in security_manager.get_all_users():
        keep = [r for r in user.roles if not r.name.startswith(PREFIX)]
        granted = [roles[p] for p in sorted(projects_of.get(user.username, ()))]
        if granted and base_role not in keep and not any(r.name == "Admin" for r in keep):
            keep.append(base_role)
        user.roles = keep + granted
    known = {user.username for user in security_manager.get_all_users()}
    return sorted(set(projects_of) - known)
