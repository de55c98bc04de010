from tortoise import migrations
from tortoise.migrations import operations as ops
from sync_core.records import ActorType, AppStage
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('appventory', '0002_sync_runs_and_consent')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppInsight',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('appventory.Connection', source_field='connection_id', db_constraint=True, to_field='id', related_name='app_insights', on_delete=OnDelete.CASCADE)),
                ('application', fields.OneToOneField('appventory.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='insight', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(max_length=16)),
                ('status_changed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('shadow_detected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'app_insight', 'app': 'appventory', 'indexes': [Index(fields=['connection_id', 'status'])], 'pk_attr': 'id', 'table_description': 'What the last derive concluded about one application.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StageChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('appventory.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='stage_changes', on_delete=OnDelete.CASCADE)),
                ('application', fields.ForeignKeyField('appventory.Application', source_field='application_id', db_constraint=True, to_field='id', related_name='stage_changes', on_delete=OnDelete.CASCADE)),
                ('from_stage', fields.CharEnumField(null=True, description='NEEDS_REVIEW: needs_review\nAPPROVED: approved\nMONITORED: monitored\nREJECTED: rejected\nRETIRED: retired', enum_type=AppStage, max_length=16)),
                ('to_stage', fields.CharEnumField(description='NEEDS_REVIEW: needs_review\nAPPROVED: approved\nMONITORED: monitored\nREJECTED: rejected\nRETIRED: retired', enum_type=AppStage, max_length=16)),
                ('actor_type', fields.CharEnumField(description='SYSTEM: system\nSLACK_USER: slack_user\nAPI_TOKEN: api_token\nCLI: cli', enum_type=ActorType, max_length=16)),
                ('actor_id', fields.CharField(null=True, max_length=128)),
                ('actor_name', fields.CharField(null=True, max_length=256)),
                ('note', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'app_stage_change', 'app': 'appventory', 'indexes': [Index(fields=['application_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One change of an application's lifecycle stage, by a person or the system."},
            bases=['Model'],
        ),
    ]
