"""The case engine and permits leave residents (state only); audit event types stop being a choice list."""

from django.db import migrations, models


class Migration(migrations.Migration):

    # education, housing and points repoint their cases first (their run_before).
    dependencies = [
        ('residents', '0016_audit_events_enrolment_rounds'),
    ]

    operations = [
        # The case engine and residence permits now live in cases/ and permits/; their tables stay here, named
        # as they were (docs/adr/0012). State only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='casedocument',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='permit',
                    name='application',
                ),
                migrations.RemoveField(
                    model_name='permitendorsement',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='permitapplication',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='casedocument',
                    name='uploaded_by',
                ),
                migrations.RemoveField(
                    model_name='permit',
                    name='holder',
                ),
                migrations.RemoveField(
                    model_name='permit',
                    name='permit_type',
                ),
                migrations.RemoveField(
                    model_name='permitendorsement',
                    name='permit',
                ),
                migrations.RemoveField(
                    model_name='permitapplication',
                    name='permit',
                ),
                migrations.RemoveField(
                    model_name='permitapplication',
                    name='permit_type',
                ),
                migrations.DeleteModel(
                    name='Case',
                ),
                migrations.DeleteModel(
                    name='CaseDocument',
                ),
                migrations.DeleteModel(
                    name='PermitEndorsement',
                ),
                migrations.DeleteModel(
                    name='Permit',
                ),
                migrations.DeleteModel(
                    name='PermitApplication',
                ),
                migrations.DeleteModel(
                    name='PermitType',
                ),
            ],
            database_operations=[],
        ),
        # Each app registers its own event types (residents.audit): no choice list here any more. No SQL.
        migrations.AlterField(
            model_name='auditevent',
            name='event_type',
            field=models.CharField(max_length=64, verbose_name='事件'),
        ),
    ]
