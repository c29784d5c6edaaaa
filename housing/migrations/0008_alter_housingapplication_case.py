"""The application's case now names cases.Case, the same table: state only (ADR 0012)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('housing', '0007_import_jobs'),
    ]

    # Before residents forgets its Case, so no state ever points at a model that is gone.
    run_before = [("residents", "0017_case_engine_and_permits_moved_out")]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table stays where it is (docs/adr/0012).
            state_operations=[
                migrations.AlterField(
                    model_name='housingapplication',
                    name='case',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='housing_application', serialize=False, to='cases.case', verbose_name='申请'),
                ),
            ],
            database_operations=[],
        ),
    ]
