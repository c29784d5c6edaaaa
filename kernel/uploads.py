"""Checking uploaded files by what they contain, not by what they are called."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

# The formats accepted, by their leading bytes ("magic numbers").
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
FIELD = "file"


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    mime_type: str
    extension: str
    size: int
    sha256: str


def upload_check(upload: UploadedFile, *, max_bytes: int) -> CheckedUpload:
    """Accept a PDF, JPEG or PNG no larger than max_bytes, with a plain file name; refuse anything else."""
    name = (upload.name or "").strip()
    if not name or "/" in name or "\\" in name or ".." in name or "\x00" in name or len(name) > 200:
        raise DomainError("file_name_invalid", _("文件名不能包含路径（/、\\ 或 ..），请重命名后再上传。"), field=FIELD)
    if not upload.size:
        raise DomainError("file_empty", _("文件是空的，请重新选择。"), field=FIELD)
    if upload.size > max_bytes:
        raise DomainError(
            "file_too_large",
            _("文件太大（最大 %(mb)s MB）。请压缩或拍照时降低分辨率后再上传。") % {"mb": max_bytes // (1024 * 1024)},
            field=FIELD,
        )
    upload.seek(0)
    head = upload.read(16)
    match = next(((mime, ext) for magic, mime, ext in SIGNATURES if head.startswith(magic)), None)
    if match is None:
        raise DomainError(
            "file_type_invalid", _("只能上传 PDF、JPG 或 PNG 文件；这个文件的内容不是其中一种。"), field=FIELD
        )
    mime_type, extension = match
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        name=name, mime_type=mime_type, extension=extension, size=upload.size, sha256=digest.hexdigest()
    )
