"""Role and object rules for residents. Scope (which rows at all) is each model's visible_to."""

from __future__ import annotations

from typing import Any

import rules

from accounts.permissions import is_administrator, is_caseworker, is_staff_reviewer

from .models import Jurisdiction


@rules.predicate
def covers_street(user, obj: Any) -> bool:  # type: ignore[no-untyped-def]
    """The caseworker covers the street of the object (a Resident, or a case of theirs); any, when none is given."""
    if obj is None:
        return True
    return Jurisdiction.objects.filter(caseworker=user, street_id=obj.street_id).exists()


can_reveal_id_number = is_administrator | (is_caseworker & covers_street)
can_archive_resident = is_administrator | (is_caseworker & covers_street)

# Model permissions consulted by the admin (rules.permissions.ObjectPermissionBackend). The row-level
# scope comes from get_queryset → visible_to; changes go through actions that call services.
rules.add_perm("residents", is_staff_reviewer)
rules.add_perm("residents.view_resident", is_staff_reviewer)
rules.add_perm("residents.change_resident", is_staff_reviewer)
rules.add_perm("residents.view_auditevent", is_staff_reviewer)
rules.add_perm("residents.view_region", is_staff_reviewer)
rules.add_perm("residents.view_guardianlink", is_staff_reviewer)
rules.add_perm("residents.view_residenceregistration", is_staff_reviewer)
