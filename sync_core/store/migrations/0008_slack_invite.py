"""Slack invite links become stored, single-use records: an install state points at the invite it
started from (instead of at its organization), and the invite is used when the install completes.

On SQLite, Tortoise 1.x's table rebuild for RemoveField of a foreign key keeps the column
(`slack_oauth_state.organization_id`, now NULL, unconstrained and unread); PostgreSQL drops it."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appventory', '0007_consent_signin')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlackInvite',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='slack_invites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_by_team_id', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'slack_invite', 'app': 'appventory', 'pk_attr': 'id', 'table_description': 'An install link that lets one new workspace join an organization: single use, expiring.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='SlackOAuthState',
            name='invite',
            field=fields.ForeignKeyField('appventory.SlackInvite', source_field='invite_id', null=True, db_constraint=True, to_field='id', related_name='oauth_states', on_delete=OnDelete.CASCADE),
        ),
        ops.RemoveField(model_name='SlackOAuthState', name='organization'),
    ]
