"""Model permissions of the enrolment console (rules.permissions.ObjectPermissionBackend).

Administrators configure schools and rounds and run the allocation; caseworkers read them and check the
documents of the applications of their streets (the case console: cases.admin). Which rows a
caseworker sees is each model's visible_to.
"""

from __future__ import annotations

import rules

from accounts.permissions import is_administrator, is_staff_reviewer

rules.add_perm("education", is_staff_reviewer)
for _model in ("school", "enrolmentround", "roundschool"):
    rules.add_perm(f"education.view_{_model}", is_staff_reviewer)
    rules.add_perm(f"education.add_{_model}", is_administrator)
    rules.add_perm(f"education.change_{_model}", is_administrator)
    rules.add_perm(f"education.delete_{_model}", is_administrator)
for _model in ("enrolmentapplication", "enrolmentresult", "allocationrun", "allocationcutoff"):
    rules.add_perm(f"education.view_{_model}", is_staff_reviewer)
