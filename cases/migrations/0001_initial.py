"""The case engine's models, moved from residents: state only, the tables keep their names (ADR 0012)."""

import django.db.models.deletion
import django.utils.timezone
import kernel.storage
from django.conf import settings
from django.db import migrations, models

from kernel.migrations_support import content_types_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('residents', '0016_audit_events_enrolment_rounds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table stays where it is (docs/adr/0012).
            state_operations=[
                migrations.CreateModel(
                    name='Case',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('case_type', models.CharField(max_length=40, verbose_name='业务类型')),
                        ('reference', models.CharField(editable=False, max_length=32, null=True, unique=True, verbose_name='受理编号')),
                        ('status', models.CharField(choices=[('draft', '草稿'), ('submitted', '已受理'), ('needs_documents', '待补正材料'), ('resubmitted', '已补正'), ('approved', '已批准'), ('refused', '不予批准'), ('issued', '已制证'), ('delivered', '已送达'), ('withdrawn', '已撤回')], default='draft', max_length=20, verbose_name='状态')),
                        ('submitted_at', models.DateTimeField(blank=True, null=True, verbose_name='受理时间')),
                        ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='办结时限')),
                        ('notice_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='补正通知时间')),
                        ('missing_documents', models.JSONField(blank=True, default=list, verbose_name='需补正材料')),
                        ('notice_note', models.TextField(blank=True, verbose_name='补正说明')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='办结时间')),
                        ('decision_reason', models.TextField(blank=True, verbose_name='决定理由')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                        ('applicant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='residents.resident', verbose_name='申请人')),
                        ('assigned_to', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='assigned_cases', to=settings.AUTH_USER_MODEL, verbose_name='经办人')),
                        ('opened_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='提交人')),
                        ('street', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='residents.region', verbose_name='街道')),
                    ],
                    options={
                        'verbose_name': '申请',
                        'verbose_name_plural': '申请',
                        'db_table': 'residents_case',
                    },
                ),
                migrations.CreateModel(
                    name='CaseDocument',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=40, verbose_name='材料类型')),
                        ('file', models.FileField(max_length=200, storage=kernel.storage.documents_storage, upload_to='documents/%Y/%m/', verbose_name='文件')),
                        ('original_name', models.CharField(max_length=200, verbose_name='原文件名')),
                        ('mime_type', models.CharField(max_length=40, verbose_name='文件类型')),
                        ('size', models.PositiveIntegerField(verbose_name='大小（字节）')),
                        ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                        ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='上传时间')),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='documents', to='cases.case', verbose_name='申请')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
                    ],
                    options={
                        'verbose_name': '申请材料',
                        'verbose_name_plural': '申请材料',
                        'db_table': 'residents_casedocument',
                    },
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['street', 'status', 'due_at'], name='case_street_queue'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['assigned_to', 'status', 'due_at'], name='case_assignee_queue'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['case_type', 'status', 'due_at'], name='case_type_queue'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['status', 'due_at'], name='case_status_due'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['applicant', '-id'], name='case_applicant_newest'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(fields=['due_at', 'id'], name='case_due'),
                ),
                migrations.AddIndex(
                    model_name='case',
                    index=models.Index(condition=models.Q(('status__in', ('submitted', 'resubmitted'))), fields=['due_at', 'id'], name='case_pending_due'),
                ),
                migrations.AddConstraint(
                    model_name='case',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'refused'), _negated=True), models.Q(('decision_reason', ''), _negated=True), _connector='OR'), name='case_refusal_has_reason'),
                ),
                migrations.AddIndex(
                    model_name='casedocument',
                    index=models.Index(fields=['case', 'kind'], name='case_document_kind'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(*content_types_move("residents", "cases", ("case", "casedocument"))),
    ]
