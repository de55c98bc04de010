"""Group membership is stored once per group (from the groups delta), not once per app and member.

`group_access` is the view that derives, from an assignment to a group joined to the group's
members, the rows the sync used to write with source `group_assignment` (one per app and
member). Those rows are dropped: the next sync reads the groups in a full delta round (no
deltaLink yet), and until it has, group members simply do not count.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# Live assignments to groups x live direct members, members known to have left the directory
# excluded (as the sync used to drop their rows when the users delta reported them gone; a
# restored user comes back with their memberships). `starts_at` is when the seat started: the
# assignment's creation, unless we saw the member join the group later (membership has no
# date of its own in Graph).
GROUP_ACCESS = """
CREATE VIEW group_access AS
SELECT g.connection_id, g.app_entra_id, m.member_entra_id AS principal_entra_id,
  'User' AS principal_type, 'group_assignment' AS source, g.source_entra_id,
  g.principal_entra_id AS group_entra_id, g.granted_at,
  CASE WHEN m.first_seen_at > g.first_seen_at THEN m.first_seen_at ELSE g.granted_at END
    AS starts_at
FROM app_access g
JOIN group_member m ON m.connection_id = g.connection_id
  AND m.group_entra_id = g.principal_entra_id
WHERE g.source = 'assignment' AND g.principal_type = 'Group' AND g.removed_at IS NULL
  AND m.removed_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM directory_user u
    WHERE u.connection_id = m.connection_id AND u.entra_id = m.member_entra_id
      AND u.removed_at IS NOT NULL)
"""


class Migration(migrations.Migration):
    dependencies = [('appventory', '0009_app_figures')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Connection',
            name='groups_delta_link',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.CreateModel(
            name='GroupMember',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='group_members', on_delete=OnDelete.CASCADE)),
                ('group_entra_id', fields.CharField(max_length=64)),
                ('member_entra_id', fields.CharField(max_length=64)),
                ('first_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'group_member', 'app': 'appventory', 'unique_together': (('connection', 'group_entra_id', 'member_entra_id'),), 'indexes': [Index(fields=['connection_id', 'member_entra_id'])], 'pk_attr': 'id', 'table_description': 'A direct member user of a group, from the groups delta.'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [GROUP_ACCESS, "DELETE FROM app_access WHERE source = 'group_assignment'"],
            reverse_sql=["DROP VIEW group_access"],
        ),
    ]
