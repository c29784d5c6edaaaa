"""Model permissions of the points console (rules.permissions.ObjectPermissionBackend).

Administrators define and publish the rule sets; staff reviewers (caseworkers) may read them. A published
rule set is read-only for everyone (points.admin, points.services).
"""

from __future__ import annotations

import rules

from accounts.permissions import is_administrator, is_staff_reviewer

rules.add_perm("points", is_staff_reviewer)
rules.add_perm("points.view_ruleset", is_staff_reviewer)
rules.add_perm("points.view_indicator", is_staff_reviewer)
for _model in ("ruleset", "indicator"):
    rules.add_perm(f"points.add_{_model}", is_administrator)
    rules.add_perm(f"points.change_{_model}", is_administrator)
    rules.add_perm(f"points.delete_{_model}", is_administrator)
