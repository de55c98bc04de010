"""Delegated permission grants are read through their own delta feed: the connection keeps
its deltaLink like those of users, service principals and groups."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('appventory', '0010_group_members')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Connection',
            name='grants_delta_link',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
