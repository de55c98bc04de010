"""Indexes for reads by page: an app's grants in App.permissions order (admin consent first, then by
grant id) and a user's daily activity across apps (User.loginActivity)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0011_grants_delta_link')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='PermissionGrant',
            name=None,
            fields=['connection_id', 'client_entra_id'],
        ),
        ops.AddIndex(
            model_name='PermissionGrant',
            index=Index(fields=['connection_id', 'client_entra_id', 'consent_type', 'entra_id']),
        ),
        ops.AddIndex(
            model_name='UsageDaily',
            index=Index(fields=['connection_id', 'user_entra_id', 'day']),
        ),
    ]
