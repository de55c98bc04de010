"""Per-app figures computed by derive after each sync: what list reads and verdicts
read, keyed by app and indexed for keyset pages; department seats and figures; overlaps."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0008_slack_invite')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppDepartmentSeats',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='app_department_seats', on_delete=OnDelete.CASCADE)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='app_department_seats', on_delete=OnDelete.CASCADE)),
                ('application', fields.ForeignKeyField('appventory.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='department_seats', on_delete=OnDelete.CASCADE)),
                ('department', fields.CharField(null=True, max_length=256)),
                ('seats', fields.IntField(default=0)),
                ('inactive_seats', fields.IntField(default=0)),
            ],
            options={'table': 'app_department_seats', 'app': 'appventory', 'indexes': [Index(fields=['organization_id', 'connection_id']), Index(fields=['application_id'])], 'pk_attr': 'id', 'table_description': 'Seats of one application in one department, as the last derive counted them.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppFigures',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='app_figures', on_delete=OnDelete.CASCADE)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='app_figures', on_delete=OnDelete.CASCADE)),
                ('application', fields.OneToOneField('appventory.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='figures', on_delete=OnDelete.CASCADE)),
                ('sort_name', fields.CharField(max_length=512)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('active_days', fields.IntField()),
                ('inactive_days', fields.IntField()),
                ('assigned_users', fields.IntField(default=0)),
                ('assigned_groups', fields.IntField(default=0)),
                ('group_members', fields.IntField(default=0)),
                ('consented_users', fields.IntField(default=0)),
                ('users_with_access', fields.IntField(default=0)),
                ('users_gone', fields.IntField(default=0)),
                ('admin_consented', fields.BooleanField(default=False)),
                ('last_used_on', fields.DateField(null=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('active_users', fields.IntField(default=0)),
                ('window_successes', fields.IntField(default=0)),
                ('window_failures', fields.IntField(default=0)),
                ('unassigned_users', fields.IntField(default=0)),
                ('seats', fields.IntField(default=0)),
                ('active_seats', fields.IntField(default=0)),
                ('inactive_seats', fields.IntField(default=0)),
                ('seats_in_grace', fields.IntField(default=0)),
                ('access_users', fields.IntField(default=0)),
                ('catalog_category', fields.CharField(null=True, max_length=128)),
                ('shadow', fields.BooleanField(default=False)),
                ('problem_count', fields.IntField(default=0)),
                ('problems', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'app_figures', 'app': 'appventory', 'indexes': [Index(fields=['organization_id', 'sort_name', 'application_id']), Index(fields=['connection_id'])], 'pk_attr': 'id', 'table_description': "One application's figures as the last derive computed them, for indexed list reads."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DepartmentFigures',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='department_figures', on_delete=OnDelete.CASCADE)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='department_figures', on_delete=OnDelete.CASCADE)),
                ('department', fields.CharField(null=True, max_length=256)),
                ('users', fields.IntField(default=0)),
                ('active_users', fields.IntField(default=0)),
                ('apps_used', fields.IntField(default=0)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'department_figures', 'app': 'appventory', 'indexes': [Index(fields=['organization_id', 'connection_id'])], 'pk_attr': 'id', 'table_description': 'Users, active users and apps used of one department of one tenant, at the last derive.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OverlapFigures',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='overlap_figures', on_delete=OnDelete.CASCADE)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='overlap_figures', on_delete=OnDelete.CASCADE)),
                ('category', fields.CharField(max_length=128)),
                ('app_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('users_in_several', fields.IntField(default=0)),
                ('users_total', fields.IntField(default=0)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'overlap_figures', 'app': 'appventory', 'indexes': [Index(fields=['organization_id', 'connection_id'])], 'pk_attr': 'id', 'table_description': 'One category with two or more In Use apps of one tenant, at the last derive.'},
            bases=['Model'],
        ),
    ]
