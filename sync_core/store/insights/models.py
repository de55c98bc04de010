"""Tortoise models of derived insight state. Only `sync_core.store` imports this module.

What must be remembered between derives: the last status (to raise "became in use /
inactive" once per change), when shadow IT was first raised (to raise it once per app), and the
stage history people wrote. And what derive computed after the last sync for reads to use
(`*Figures`, `AppDepartmentSeats`): replaced as a whole per tenant on each derive.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from sync_core.records import ActorType, AppStage

if TYPE_CHECKING:
    from sync_core.store.models import Application, Connection, Organization


class AppInsight(Model):
    """What the last derive concluded about one application."""

    id = fields.BigIntField(primary_key=True)
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="app_insights", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    application: fields.OneToOneRelation[Application] = fields.OneToOneField(
        "appventory.Application", related_name="insight", on_delete=fields.CASCADE
    )
    application_id: int
    status = fields.CharField(max_length=16)
    status_changed_at = fields.DatetimeField()
    shadow_detected_at = fields.DatetimeField(null=True)

    class Meta:
        table = "app_insight"
        indexes = (("connection_id", "status"),)


class StageChange(Model):
    """One change of an application's lifecycle stage, by a person or the system."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="stage_changes", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "appventory.Application", related_name="stage_changes", on_delete=fields.CASCADE
    )
    application_id: int
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


class AppFigures(Model):
    """One application's figures as the last derive computed them, for indexed list reads.

    Dates are stored rather than verdicts that depend on `now` (status is judged on read from
    `last_used_on` / `last_used_at`); window counts (active users, seats...) are as of
    `computed_at` with the stored `active_days` / `inactive_days`.
    """

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="app_figures", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="app_figures", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    application: fields.OneToOneRelation[Application] = fields.OneToOneField(
        "appventory.Application", related_name="figures", on_delete=fields.CASCADE
    )
    application_id: int
    sort_name = fields.CharField(max_length=512)  # the display name at derive: the list order
    computed_at = fields.DatetimeField()
    active_days = fields.IntField()
    inactive_days = fields.IntField()
    assigned_users = fields.IntField(default=0)
    assigned_groups = fields.IntField(default=0)
    group_members = fields.IntField(default=0)
    consented_users = fields.IntField(default=0)
    users_with_access = fields.IntField(default=0)
    users_gone = fields.IntField(default=0)
    admin_consented = fields.BooleanField(default=False)
    last_used_on = fields.DateField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    active_users = fields.IntField(default=0)
    window_successes = fields.IntField(default=0)
    window_failures = fields.IntField(default=0)
    unassigned_users = fields.IntField(default=0)
    seats = fields.IntField(default=0)
    active_seats = fields.IntField(default=0)
    inactive_seats = fields.IntField(default=0)
    seats_in_grace = fields.IntField(default=0)
    access_users = fields.IntField(default=0)  # live users with access: assigned, by group, consent
    catalog_category = fields.CharField(max_length=128, null=True)
    shadow = fields.BooleanField(default=False)  # shadow IT unless people approved it
    problem_count = fields.IntField(default=0)
    problems: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    evidence: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "app_figures"
        indexes = (("organization_id", "sort_name", "application_id"), ("connection_id",))


class AppDepartmentSeats(Model):
    """Seats of one application in one department, as the last derive counted them."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="app_department_seats", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="app_department_seats", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "appventory.Application", related_name="department_seats", on_delete=fields.CASCADE
    )
    application_id: int
    department = fields.CharField(max_length=256, null=True)
    seats = fields.IntField(default=0)
    inactive_seats = fields.IntField(default=0)

    class Meta:
        table = "app_department_seats"
        indexes = (("organization_id", "connection_id"), ("application_id",))


class DepartmentFigures(Model):
    """Users, active users and apps used of one department of one tenant, at the last derive."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="department_figures", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="department_figures", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    department = fields.CharField(max_length=256, null=True)
    users = fields.IntField(default=0)
    active_users = fields.IntField(default=0)
    apps_used = fields.IntField(default=0)
    computed_at = fields.DatetimeField()

    class Meta:
        table = "department_figures"
        indexes = (("organization_id", "connection_id"),)


class OverlapFigures(Model):
    """One category with two or more In Use apps of one tenant, at the last derive."""

    id = fields.BigIntField(primary_key=True)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "appventory.Organization", related_name="overlap_figures", on_delete=fields.CASCADE
    )
    organization_id: uuid.UUID
    connection: fields.ForeignKeyRelation[Connection] = fields.ForeignKeyField(
        "appventory.Connection", related_name="overlap_figures", on_delete=fields.CASCADE
    )
    connection_id: uuid.UUID
    category = fields.CharField(max_length=128)
    app_ids: fields.JSONField[list[int]] = fields.JSONField(
        default=list
    )  # our ids, most active users first
    users_in_several = fields.IntField(default=0)
    users_total = fields.IntField(default=0)
    computed_at = fields.DatetimeField()

    class Meta:
        table = "overlap_figures"
        indexes = (("organization_id", "connection_id"),)
