"""Slack requests already accepted, shared by every web process, so a replay to another
process is refused too (the unique key makes the check one INSERT)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('appventory', '0005_group_assignment_source')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlackSeenRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'slack_seen_request', 'app': 'appventory', 'pk_attr': 'id', 'table_description': 'A signed Slack request already accepted: a second delivery of it is a replay.'},
            bases=['Model'],
        ),
    ]
