"""Role predicates (django-rules). Object scope is decided by each model family's visible_to(user)."""

import rules

from .choices import Role


@rules.predicate
def is_caseworker(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.CASEWORKER))


@rules.predicate
def is_team_leader(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.TEAM_LEADER))


@rules.predicate
def is_health_worker(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.HEALTH_WORKER))


@rules.predicate
def is_administrator(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(Role.ADMINISTRATOR)))


@rules.predicate
def is_landlord(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.LANDLORD))


@rules.predicate
def is_employer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.EMPLOYER))


is_staff_reviewer = is_caseworker | is_administrator
