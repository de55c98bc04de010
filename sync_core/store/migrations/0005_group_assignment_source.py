"""AccessSource gained `group_assignment`: the column is unchanged, only Tortoise's model state.

Tortoise's AlterField on SQLite rebuilds the table and loses `unique_together`, which the
upserts need, so this migration updates the state only.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from sync_core.records import AccessSource
from tortoise import fields


class AlterFieldStateOnly(ops.AlterField):
    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('appventory', '0004_slack')]

    initial = False

    operations = [
        AlterFieldStateOnly(
            model_name='AppAccess',
            name='source',
            field=fields.CharEnumField(description='ASSIGNMENT: assignment\nGROUP_ASSIGNMENT: group_assignment\nCONSENT: consent\nSIGN_IN: sign_in', enum_type=AccessSource, max_length=16),
        ),
    ]
