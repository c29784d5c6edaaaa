"""The forms of the applicant's case pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DocumentUploadForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("选择文件"),
        help_text=_("PDF、JPG 或 PNG，不超过 10 MB。可以直接用手机拍照。"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )



class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因（可不填）"), max_length=200, required=False)
