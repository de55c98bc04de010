"""Tortoise models of derived insight state. Only `sync_core.store` imports this module.

Verdicts (status, shadow IT, overlaps...) are recomputed from the inventory on demand; what is
stored here is only what must be remembered between derives: the last status (to raise
"became in use / inactive" once per change), when shadow IT was first raised (to raise it once
per app), and the stage history people wrote.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from sync_core.records import ActorType, AppStage


class AppInsight(Model):
    """What the last derive concluded about one application."""

    id = fields.BigIntField(primary_key=True)
    connection = fields.ForeignKeyField(
        "appventory.Connection", related_name="app_insights", on_delete=fields.CASCADE
    )
    application = fields.OneToOneField(
        "appventory.Application", related_name="insight", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=16)
    status_changed_at = fields.DatetimeField()
    shadow_detected_at = fields.DatetimeField(null=True)

    class Meta:
        table = "app_insight"
        indexes = (("connection_id", "status"),)


class StageChange(Model):
    """One change of an application's lifecycle stage, by a person or the system."""

    id = fields.BigIntField(primary_key=True)
    organization = fields.ForeignKeyField(
        "appventory.Organization", related_name="stage_changes", on_delete=fields.CASCADE
    )
    application = fields.ForeignKeyField(
        "appventory.Application", related_name="stage_changes", on_delete=fields.CASCADE
    )
    from_stage = fields.CharEnumField(AppStage, max_length=16, null=True)
    to_stage = fields.CharEnumField(AppStage, max_length=16)
    actor_type = fields.CharEnumField(ActorType, max_length=16)
    actor_id = fields.CharField(max_length=128, null=True)
    actor_name = fields.CharField(max_length=256, null=True)
    note = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "app_stage_change"
        indexes = (("application_id", "created_at"),)
