"""Role and object rules for residents. Scope (which residents at all) is Resident.objects.visible_to."""

from __future__ import annotations

import rules

from accounts.permissions import is_administrator, is_caseworker, is_staff_reviewer

from .models import Jurisdiction, Resident


@rules.predicate
def covers_resident(user, resident: Resident | None) -> bool:  # type: ignore[no-untyped-def]
    """The caseworker covers the resident's street (any resident, when no object is given)."""
    if resident is None:
        return True
    return Jurisdiction.objects.filter(caseworker=user, street_id=resident.street_id).exists()


can_reveal_id_number = is_administrator | (is_caseworker & covers_resident)
can_archive_resident = is_administrator | (is_caseworker & covers_resident)

# Model permissions consulted by the admin (rules.permissions.ObjectPermissionBackend). Caseworkers read
# and correct residents; the row-level scope comes from get_queryset → visible_to.
rules.add_perm("residents", is_staff_reviewer)
rules.add_perm("residents.view_resident", is_staff_reviewer)
rules.add_perm("residents.change_resident", is_staff_reviewer)
rules.add_perm("residents.view_auditevent", is_staff_reviewer)
rules.add_perm("residents.view_region", is_staff_reviewer)
rules.add_perm("residents.view_guardianlink", is_staff_reviewer)
