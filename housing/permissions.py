"""Model permissions of the housing console, consulted by the admin (rules.permissions.ObjectPermissionBackend).

Which rows at all is each model's visible_to (housing.selectors); whether a caseworker may act on one is the
service's to decide. Properties, tenancies and flags are read in the console and change only through its
buttons and actions (services); the official holiday schedules are the administrators' to enter and correct.
"""

from __future__ import annotations

import rules

from accounts.permissions import is_administrator, is_caseworker, is_staff_reviewer
from residents.permissions import covers_street

# Verifying a property and handling its flags: a caseworker of its street, or an administrator.
may_review_property = is_administrator | (is_caseworker & covers_street)

rules.add_perm("housing", is_staff_reviewer)
rules.add_perm("housing.view_property", is_staff_reviewer)
rules.add_perm("housing.view_tenancy", is_staff_reviewer)
rules.add_perm("housing.view_occupancyflag", is_staff_reviewer)
rules.add_perm("housing.view_officialcalendaryear", is_administrator)
rules.add_perm("housing.add_officialcalendaryear", is_administrator)
rules.add_perm("housing.change_officialcalendaryear", is_administrator)
