from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from sync_core.records import ActorType
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appventory', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsentRequest',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.CASCADE)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('actor_type', fields.CharEnumField(description='SYSTEM: system\nSLACK_USER: slack_user\nAPI_TOKEN: api_token\nCLI: cli', enum_type=ActorType, max_length=16)),
                ('actor_id', fields.CharField(null=True, max_length=128)),
                ('actor_name', fields.CharField(null=True, max_length=256)),
                ('context', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_request', 'app': 'appventory', 'pk_attr': 'id', 'table_description': 'A pending admin-consent round trip: the server-side half of the signed `state`.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Connection',
            name='assignments_refreshed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Connection',
            name='sign_in_activity_refreshed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='active_key',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='SyncRun',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
