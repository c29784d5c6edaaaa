"""Role and object rules for residents and cases. Scope (which rows at all) is each model's visible_to."""

from __future__ import annotations

from typing import Any

import rules

from accounts.permissions import is_administrator, is_caseworker, is_staff_reviewer, is_team_leader

from .models import GuardianLink, Jurisdiction


@rules.predicate
def covers_street(user, obj: Any) -> bool:  # type: ignore[no-untyped-def]
    """The caseworker covers the street of the object (a Resident or a Case); any, when none is given."""
    if obj is None:
        return True
    return Jurisdiction.objects.filter(caseworker=user, street_id=obj.street_id).exists()


@rules.predicate
def acts_for_applicant(user, case: Any) -> bool:  # type: ignore[no-untyped-def]
    """The user is the applicant, or the guardian of a child applicant."""
    if case is None or not user.is_authenticated:
        return False
    applicant = case.applicant
    if applicant.user_id == user.pk:
        return True
    return GuardianLink.objects.filter(child_id=applicant.pk, guardian__user=user).exists()


can_reveal_id_number = is_administrator | (is_caseworker & covers_street)
can_archive_resident = is_administrator | (is_caseworker & covers_street)
may_decide_case = is_administrator | (is_caseworker & covers_street)
may_assign_cases_to_others = is_administrator | is_team_leader

# Model permissions consulted by the admin (rules.permissions.ObjectPermissionBackend). The row-level
# scope comes from get_queryset → visible_to; changes go through actions that call services.
rules.add_perm("residents", is_staff_reviewer)
rules.add_perm("residents.view_resident", is_staff_reviewer)
rules.add_perm("residents.change_resident", is_staff_reviewer)
rules.add_perm("residents.view_auditevent", is_staff_reviewer)
rules.add_perm("residents.view_region", is_staff_reviewer)
rules.add_perm("residents.view_guardianlink", is_staff_reviewer)
rules.add_perm("residents.view_case", is_staff_reviewer)
rules.add_perm("residents.view_residenceregistration", is_staff_reviewer)
rules.add_perm("residents.change_case", is_staff_reviewer)
rules.add_perm("residents.view_permit", is_staff_reviewer)
