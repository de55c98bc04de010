"""The users list in its own order: a tenant's live users by (display name, id), so a page of
`users` reads its rows off the index instead of sorting every user of the tenant, and its
total is counted off the index instead of reading every user row."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0012_read_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='DirectoryUser',
            index=Index(fields=['connection_id', 'removed_at', 'display_name', 'id']),
        ),
    ]
