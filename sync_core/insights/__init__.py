"""Insights: what the inventory means. Rules are pure; heavy counting runs in the store.

Reads take `now` and the window settings and return frozen records; `derive` runs after each
sync and returns the events it raised (already in the activity trail) for notifiers.
"""

from sync_core.insights.apps import app_summaries, apps_page, count_apps, find_apps
from sync_core.insights.decisions import set_category, set_seat_cost, set_stage, stage_history
from sync_core.insights.derive import derive
from sync_core.insights.details import AppDetails, app_details
from sync_core.insights.licenses import departments, license_waste
from sync_core.insights.logins import login_activity, prune_sign_ins
from sync_core.insights.overlaps import overlaps
from sync_core.insights.problems import problematic_apps
from sync_core.insights.rules import Thresholds
from sync_core.insights.shadow import shadow_it
from sync_core.store.insights import shared_reads

__all__ = [
    "AppDetails",
    "Thresholds",
    "app_details",
    "app_summaries",
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
    "set_category",
    "set_seat_cost",
    "set_stage",
    "shadow_it",
    "shared_reads",
    "stage_history",
]
