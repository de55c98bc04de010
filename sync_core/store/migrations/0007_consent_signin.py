"""Admin consent is completed by a delegated sign-in of that tenant's admin: a consent request
remembers the tenant it is bound to and, for the sign-in step, MSAL's auth-code flow."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('appventory', '0006_slack_seen_request')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ConsentRequest',
            name='tenant_id',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='ConsentRequest',
            name='signin_flow',
            field=fields.JSONField(null=True),
        ),
    ]
