"""The users list in its own order: a tenant's live users by (display name, id), so a page of
`users` reads its rows off the index instead of sorting every user of the tenant, and its
total, also of a search (names, mail and UPN are in the index), is counted off the index
instead of reading every user row; users by department and last successful sign-in, for
the department and active filters' totals; and (tenant, Entra id, removed) so that "is this
member still in the directory" is answered off the index (an app's users page at 100k: 160 ms
-> 57 ms for 4,988 users)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0012_read_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='DirectoryUser',
            index=Index(fields=['connection_id', 'removed_at', 'display_name', 'id', 'mail', 'user_principal_name']),
        ),
        ops.AddIndex(
            model_name='DirectoryUser',
            index=Index(fields=['connection_id', 'department', 'removed_at', 'last_successful_sign_in_at']),
        ),
        ops.AddIndex(
            model_name='DirectoryUser',
            index=Index(fields=['connection_id', 'entra_id', 'removed_at']),
        ),
    ]
