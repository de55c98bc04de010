from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0003_insights')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlackInstallation',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('team_id', fields.CharField(null=True, max_length=32)),
                ('enterprise_id', fields.CharField(null=True, max_length=32)),
                ('is_enterprise_install', fields.BooleanField(default=False)),
                ('app_id', fields.CharField(null=True, max_length=32)),
                ('bot_id', fields.CharField(max_length=32)),
                ('bot_user_id', fields.CharField(max_length=32)),
                ('bot_scopes', fields.TextField(default='', unique=False)),
                ('bot_token_encrypted', fields.TextField(unique=False)),
                ('bot_refresh_token_encrypted', fields.TextField(null=True, unique=False)),
                ('bot_token_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('installer_user_id', fields.CharField(null=True, max_length=32)),
                ('installed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'slack_installation', 'app': 'appventory', 'indexes': [Index(fields=['team_id', 'installed_at']), Index(fields=['enterprise_id', 'installed_at'])], 'pk_attr': 'id', 'table_description': 'One OAuth install of the bot into a workspace (the latest row per team is the live one).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlackOAuthState',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='slack_oauth_states', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'slack_oauth_state', 'app': 'appventory', 'pk_attr': 'id', 'table_description': 'The server-side half of the OAuth state of an install: single use, expiring.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SlackSyncMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sync_run', fields.ForeignKeyField('appventory.SyncRun', source_field='sync_run_id', db_constraint=True, to_field='id', related_name='slack_messages', on_delete=OnDelete.CASCADE)),
                ('team_id', fields.CharField(max_length=32)),
                ('channel_id', fields.CharField(null=True, max_length=32)),
                ('ts', fields.CharField(null=True, max_length=32)),
                ('response_url', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'slack_sync_message', 'app': 'appventory', 'indexes': [Index(fields=['sync_run_id'])], 'pk_attr': 'id', 'table_description': 'Where the Slack message of a sync lives, so whichever process ends the run can finish it.'},
            bases=['Model'],
        ),
    ]
