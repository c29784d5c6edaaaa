"""Who may see residence permits in the console. Scope (which permits at all) is Permit.objects.visible_to."""

from __future__ import annotations

import rules

from accounts.permissions import is_staff_reviewer

rules.add_perm("permits", is_staff_reviewer)
rules.add_perm("permits.view_permit", is_staff_reviewer)
