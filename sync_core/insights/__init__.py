"""Insights: what the inventory means. Rules are pure; heavy counting runs in the store.

Reads take `now` and the window settings and return frozen records; `derive` runs after each
sync, computes and stores every app's figures (insights/figures.py) that reads then use, and
returns the events it raised (already in the activity trail) for notifiers.
"""

from sync_core.insights.apps import (
    app_summaries,
    app_verdicts,
    apps_page,
    count_apps,
    find_apps,
    status_counts,
)
from sync_core.insights.decisions import set_category, set_seat_cost, set_stage, stage_history
from sync_core.insights.derive import derive
from sync_core.insights.details import AppDetails, app_details
from sync_core.insights.figures import refresh as refresh_figures
from sync_core.insights.licenses import departments, license_waste
from sync_core.insights.logins import login_activity, prune_sign_ins
from sync_core.insights.names import app_ids_matching
from sync_core.insights.overlaps import overlaps
from sync_core.insights.problems import problematic_apps
from sync_core.insights.rules import Thresholds
from sync_core.insights.shadow import shadow_it
from sync_core.insights.verdicts import AppVerdicts

__all__ = [
    "AppDetails",
    "AppVerdicts",
    "Thresholds",
    "app_details",
    "app_ids_matching",
    "app_summaries",
    "app_verdicts",
    "apps_page",
    "count_apps",
    "departments",
    "derive",
    "find_apps",
    "license_waste",
    "login_activity",
    "overlaps",
    "problematic_apps",
    "prune_sign_ins",
    "refresh_figures",
    "set_category",
    "set_seat_cost",
    "set_stage",
    "shadow_it",
    "stage_history",
    "status_counts",
]
