"""Residence permits' models, moved from residents: state only, the tables keep their names (ADR 0012)."""

import django.db.models.deletion
from django.db import migrations, models

from kernel.migrations_support import content_types_move


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cases', '0001_initial'),
        ('residents', '0017_case_engine_and_permits_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table stays where it is (docs/adr/0012).
            state_operations=[
                migrations.CreateModel(
                    name='PermitType',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.SlugField(max_length=40, unique=True, verbose_name='标识')),
                        ('name_zh', models.CharField(max_length=60, verbose_name='名称（中文）')),
                        ('name_en', models.CharField(max_length=100, verbose_name='名称（英文）')),
                        ('basis', models.CharField(choices=[('employment', '稳定就业'), ('residence', '稳定住所'), ('study', '连续就读'), ('talent', '人才引进')], max_length=16, verbose_name='申领条件')),
                        ('description_zh', models.CharField(blank=True, max_length=300, verbose_name='说明（中文）')),
                        ('description_en', models.CharField(blank=True, max_length=300, verbose_name='说明（英文）')),
                        ('exempt_from_residence_rule', models.BooleanField(default=False, verbose_name='不受居住满半年限制')),
                        ('documents', models.JSONField(default=list, verbose_name='所需材料')),
                        ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
                        ('is_active', models.BooleanField(default=True, verbose_name='受理中')),
                    ],
                    options={
                        'verbose_name': '居住证类型',
                        'verbose_name_plural': '居住证类型',
                        'db_table': 'residents_permittype',
                        'ordering': ['sort_order', 'key'],
                    },
                ),
                migrations.CreateModel(
                    name='Permit',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.CharField(editable=False, max_length=24, null=True, unique=True, verbose_name='居住证号码')),
                        ('issued_on', models.DateField(verbose_name='签发日期')),
                        ('valid_until', models.DateField(verbose_name='有效期至')),
                        ('continuity_restarted_on', models.DateField(blank=True, null=True, verbose_name='连续居住重新起算日')),
                        ('card_serial', models.PositiveSmallIntegerField(default=1, verbose_name='卡片序号')),
                        ('verify_token', models.CharField(editable=False, max_length=64, unique=True, verbose_name='核验码')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('application', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='issued_permit', to='cases.case', verbose_name='申领申请')),
                        ('holder', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='permits', to='residents.resident', verbose_name='持证人')),
                        ('permit_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='permits.permittype', verbose_name='类型')),
                    ],
                    options={
                        'verbose_name': '居住证',
                        'verbose_name_plural': '居住证',
                        'db_table': 'residents_permit',
                    },
                ),
                migrations.CreateModel(
                    name='PermitEndorsement',
                    fields=[
                        ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='endorsement', serialize=False, to='cases.case', verbose_name='申请')),
                        ('applied_on', models.DateField(verbose_name='申请日期')),
                        ('year_ending', models.DateField(verbose_name='原有效期至')),
                        ('late', models.BooleanField(default=False, verbose_name='逾期补办')),
                        ('endorsed_on', models.DateField(blank=True, null=True, verbose_name='签注日期')),
                        ('valid_until_after', models.DateField(blank=True, null=True, verbose_name='签注后有效期至')),
                        ('automatic', models.BooleanField(default=False, verbose_name='系统自动签注')),
                        ('permit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='endorsements', to='permits.permit', verbose_name='居住证')),
                    ],
                    options={
                        'verbose_name': '居住证签注',
                        'verbose_name_plural': '居住证签注',
                        'db_table': 'residents_permitendorsement',
                        'indexes': [models.Index(fields=['permit', '-applied_on'], name='endorsement_permit_newest')],
                    },
                ),
                migrations.CreateModel(
                    name='PermitApplication',
                    fields=[
                        ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='permit_application', serialize=False, to='cases.case', verbose_name='申请')),
                        ('documents', models.JSONField(blank=True, default=list, verbose_name='所需材料')),
                        ('replacement_reason', models.CharField(blank=True, choices=[('lost', '遗失'), ('damaged', '损坏')], max_length=16, verbose_name='补领原因')),
                        ('delivery_method', models.CharField(choices=[('express', '快递送达'), ('window', '到服务窗口领取')], max_length=16, verbose_name='领取方式')),
                        ('recipient_name', models.CharField(blank=True, max_length=64, verbose_name='收件人')),
                        ('recipient_phone', models.CharField(blank=True, max_length=20, verbose_name='收件人电话')),
                        ('delivery_address', models.CharField(blank=True, max_length=200, verbose_name='收件地址')),
                        ('courier', models.CharField(blank=True, max_length=40, verbose_name='快递公司')),
                        ('tracking_number', models.CharField(blank=True, max_length=40, verbose_name='快递单号')),
                        ('dispatched_at', models.DateTimeField(blank=True, null=True, verbose_name='寄出 / 待领时间')),
                        ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='送达 / 领取时间')),
                        ('permit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='applications', to='permits.permit', verbose_name='居住证')),
                        ('permit_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='permits.permittype', verbose_name='类型')),
                    ],
                    options={
                        'verbose_name': '居住证申请信息',
                        'verbose_name_plural': '居住证申请信息',
                        'db_table': 'residents_permitapplication',
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('delivery_method', 'express'), _negated=True), models.Q(models.Q(('recipient_name', ''), _negated=True), models.Q(('recipient_phone', ''), _negated=True), models.Q(('delivery_address', ''), _negated=True)), _connector='OR'), name='permit_express_has_address')],
                    },
                ),
                migrations.AddIndex(
                    model_name='permit',
                    index=models.Index(fields=['valid_until'], name='permit_valid_until'),
                ),
                migrations.AddConstraint(
                    model_name='permit',
                    constraint=models.UniqueConstraint(fields=('holder',), name='permit_one_per_holder'),
                ),
                migrations.AddConstraint(
                    model_name='permit',
                    constraint=models.CheckConstraint(condition=models.Q(('valid_until__gt', models.F('issued_on'))), name='permit_valid_after_issue'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            *content_types_move("residents", "permits", ("permittype", "permit", "permitapplication", "permitendorsement"))
        ),
    ]
