"""Model permissions of the points console (rules.permissions.ObjectPermissionBackend).

Administrators define and publish the rule sets, configure the application rounds and publish their rankings;
staff reviewers (caseworkers) may read them. A published rule set is read-only for everyone (points.admin,
points.services), and so is a round whose ranking is published.

Caseworkers review points applications: which ones they see at all is Case.visible_to (their streets; every
street for an administrator); deciding one is residents' may_decide_case, the same rule the services check.
"""

from __future__ import annotations

import rules

from accounts.permissions import is_administrator, is_staff_reviewer
from cases.permissions import may_decide_case

rules.add_perm("points", is_staff_reviewer)
rules.add_perm("points.view_ruleset", is_staff_reviewer)
rules.add_perm("points.view_indicator", is_staff_reviewer)
rules.add_perm("points.view_pointsround", is_staff_reviewer)
for _model in ("ruleset", "indicator", "pointsround"):
    rules.add_perm(f"points.add_{_model}", is_administrator)
    rules.add_perm(f"points.change_{_model}", is_administrator)
    rules.add_perm(f"points.delete_{_model}", is_administrator)

# 公示排名 / 公布最终排名: a round's ranking is published by an administrator.
may_publish_points_ranking = is_administrator
rules.add_perm("points.publish_pointsranking", may_publish_points_ranking)

# The review console: the queue for every staff reviewer, the decisions only on cases of their streets.
may_review_points_application = may_decide_case
rules.add_perm("points.view_pointsapplication", is_staff_reviewer)
rules.add_perm("points.review_pointsapplication", may_review_points_application)
