"""Who may act on a case. Scope (which cases at all) is Case.objects.visible_to."""

from __future__ import annotations

from typing import Any

import rules

from accounts.permissions import is_administrator, is_caseworker, is_staff_reviewer, is_team_leader
from residents.models import GuardianLink
from residents.permissions import covers_street


@rules.predicate
def acts_for_applicant(user, case: Any) -> bool:  # type: ignore[no-untyped-def]
    """The user is the applicant, or the guardian of a child applicant."""
    if case is None or not user.is_authenticated:
        return False
    applicant = case.applicant
    if applicant.user_id == user.pk:
        return True
    return GuardianLink.objects.filter(child_id=applicant.pk, guardian__user=user).exists()



may_decide_case = is_administrator | (is_caseworker & covers_street)



may_assign_cases_to_others = is_administrator | is_team_leader



rules.add_perm("cases.view_case", is_staff_reviewer)



rules.add_perm("cases.change_case", is_staff_reviewer)

# The console's section for cases (rules.permissions.ObjectPermissionBackend answers the admin's module
# permission); the row-level scope comes from get_queryset → visible_to.
rules.add_perm("cases", is_staff_reviewer)
