"""An agency's spreadsheet of move-ins (中介批量申报): CSV or XLSX in, one report per row out.

Every row goes through ``housing.services.tenancy_report_move_in`` exactly as a landlord's single report does
(same checks, same capacity lock, same audit), with ``source=import``. A row that is refused is reported back
with its row number, its column and the service's own message; the rows around it are saved regardless. What
is wrong with the file as a whole (not a spreadsheet, too big, too many rows, columns missing or unknown) is
one DomainError and nothing is imported.

A file of 10 000 rows takes over a minute (docs/PERFORMANCE.md), longer than a web request may last, so the
upload is a job (``ImportJob``): ``import_job_create`` checks the file as a whole at once (a wrong file is
refused on the form, nothing queued), keeps it in the private document storage and queues
``import_job_run`` for a Celery worker — in-process after commit on the embedded default, as the outbox
does. The worker reports the rows and records its progress as it goes; the job's page shows it, then the
result. The file is deleted when the job ends; the refused rows stay with the job (for the rejected-rows CSV)
for seven days (``import_jobs_purge``). ``tenancies_import`` is the same import in the caller's process, for
scripts and the benchmark.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import itertools
import logging
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, JSONField, Q, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from kernel.errors import DomainError
from residents.pii import id_number_decrypt, id_number_encrypt, id_number_mask, id_number_validate, id_numbers_masked_in

from . import workdays
from .choices import ImportJobStatus, TenancySource
from .models import ImportJob, Property
from .services import tenancy_report_move_in

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# An XLSX is a zip: refuse one that would unpack to far more than any 10 000-row sheet (a "zip bomb").
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# The header may sit below a title row or two ("XX 中介 2026 年 3 月入住名单"), as spreadsheets often have.
HEADER_SEARCH_ROWS = 10
# Rows committed together (see tenancies_import).
COMMIT_EVERY = 100
# More errors than this are not listed on the page (the rejected-rows CSV has them all).
ERRORS_SHOWN = 500
# A queued or running job without a sign of life for this long is presumed lost (see import_jobs_revive). A
# group of COMMIT_EVERY rows takes about a second, so a live worker is never near it.
STALE_AFTER = datetime.timedelta(minutes=15)
# A job whose worker died this many times is not tried again: the file itself may be what kills it.
MAX_ATTEMPTS = 3
# How long a finished job keeps its refused rows (ID numbers, names, phones) for the page and the CSV.
KEEP_DETAILS = datetime.timedelta(days=7)

FIELD = "file"

# The columns, by their Chinese header (the template's). 房屋编号 or 房屋地址 names the property.
PROPERTY_ID = "房屋编号"
PROPERTY_ADDRESS = "房屋地址"
ID_NUMBER = "身份证号"
NAME = "姓名"
PHONE = "手机号"
MOVE_IN = "入住日期"
LEASE_END = "租约到期日"
ERROR_COLUMN = "错误原因"

COLUMNS = (PROPERTY_ID, PROPERTY_ADDRESS, ID_NUMBER, NAME, PHONE, MOVE_IN, LEASE_END)
REQUIRED = (ID_NUMBER, NAME, PHONE, MOVE_IN)
TEMPLATE_COLUMNS = COLUMNS
# Headers people actually write for the same thing; matched after normalisation (see _header_name).
ALIASES = {
    "房屋id": PROPERTY_ID, "房源编号": PROPERTY_ID, "地址": PROPERTY_ADDRESS, "身份证": ID_NUMBER,
    "身份证号码": ID_NUMBER, "公民身份号码": ID_NUMBER, "租客姓名": NAME, "手机": PHONE, "手机号码": PHONE,
    "联系电话": PHONE, "电话": PHONE, "入住时间": MOVE_IN, "租约到期": LEASE_END, "租约到期日期": LEASE_END,
    "到期日": LEASE_END, "合同到期日": LEASE_END,
}  # fmt: skip
# A service's DomainError.field, as the column the agency fixes.
FIELD_COLUMNS = {
    "id_number": ID_NUMBER, "name": NAME, "phone": PHONE, "move_in_date": MOVE_IN, "started_on": MOVE_IN,
    "lease_end_date": LEASE_END,
}  # fmt: skip
# Refusals without a field that are about the property the row names.
PROPERTY_CODES = {"property_not_verified", "not_allowed", "over_capacity", "community_required", "address_required"}

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
# Excel's "number stored as text" artefacts: ="412827…" (what our own rejected-rows CSV writes, so that Excel
# keeps all 18 digits) and a leading apostrophe.
_EXCEL_TEXT = re.compile(r'^="(.*)"$')
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1 when it is the first line
    column: str  # the header of the cell to fix, or "" for the row as a whole
    message: str


@dataclass(frozen=True)
class RejectedRow:
    row: int
    label: str  # the tenant's name and masked ID number, for the page
    cells: list[str]  # the row's cells in the header's order, then 错误原因 (the rejected-rows CSV's line)


@dataclass
class ImportResult:
    accepted: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # data rows read (blank rows not counted)
    header: list[str] = field(default_factory=list)  # the file's recognised columns, in its order
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def rejected_csv(self) -> bytes:
        return rejected_csv([*self.header, ERROR_COLUMN], [r.cells for r in self.rejected])


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # column → the cell as text (as written back in the rejected-rows CSV)
    values: dict[str, Any]  # column → the cell as read (a date cell stays a date)


# --- reading the file ----------------------------------------------------------------------------------


def _refuse(code: str, message: Any) -> DomainError:
    return DomainError(code, message, field=FIELD)


def _kind(head: bytes) -> str:
    """What the leading bytes say the file is: "xlsx", "csv" (text) or a refusal."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(
            "file_type_xls",
            _("这是旧版 Excel（.xls）文件。请在 Excel 或 WPS 里“另存为”Excel 工作簿（.xlsx）或 CSV 后再上传。"),
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"\x1f\x8b")):
        raise _not_a_spreadsheet()
    return "csv"


def _not_a_spreadsheet() -> DomainError:
    return _refuse(
        "file_type_invalid",
        _("只能上传 Excel 表格（.xlsx）或 CSV 文件；这个文件的内容不是表格。请使用下载的模板填写。"),
    )


def _decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), UTF-16 (Excel's "Unicode text"), else
    GB18030: Excel and WPS on a Chinese Windows save plain "CSV" in the GBK code page, which GB18030 contains."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_spreadsheet() from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _refuse(
            "file_encoding",
            _("无法识别文件的文字编码。请在 Excel 里“另存为”CSV UTF-8 或 Excel 工作簿（.xlsx）后再上传。"),
        ) from None


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Tab-separated when the first line says so (Excel's "Unicode text", or a paste from a sheet).
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise _not_a_spreadsheet() from None


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows as values (a date cell is a datetime), read as a stream."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise _refuse("file_too_large", _("表格内容太多，请分成几个文件上传（每个最多 1 万行）。"))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception:  # any zip that is not a readable workbook (a .docx, a damaged file)
        raise _not_a_spreadsheet() from None
    try:
        if not workbook.worksheets:
            raise _not_a_spreadsheet()
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _rows(upload: File) -> Iterator[list[Any]]:
    if not upload.size:
        raise _refuse("file_empty", _("文件是空的，请重新选择。"))
    if upload.size > MAX_BYTES:
        raise _refuse("file_too_large", _("文件太大（最大 5 MB）。请分成几个文件上传。"))
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse("file_too_large", _("文件太大（最大 5 MB）。请分成几个文件上传。"))
    return _xlsx_rows(data) if _kind(data[:512]) == "xlsx" else _csv_rows(data)


# --- the header ---------------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A cell as the agency sees it: dates as YYYY-MM-DD, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\u3000", " ").strip()
    if match := _EXCEL_TEXT.match(text):
        text = match.group(1).strip()
    return text[1:].strip() if text.startswith("'") else text


def _header_name(cell: Any) -> str:
    """身份证号*, 身份证号（必填）, " 身份证号 " → 身份证号; known variants (身份证号码) → the template's name."""
    name = re.sub(r"[（(][^）)]*[）)]", "", _cell_text(cell))
    name = re.sub(r"[\s*＊:：]", "", name)
    return ALIASES.get(name.lower(), ALIASES.get(name, name))


def _header(rows: Iterator[list[Any]]) -> tuple[int, list[tuple[int, str]], list[tuple[int, list[Any]]]]:
    """The header's row number, its columns as (position, column), and the rows read past it.

    The header is the first row naming at least two of the columns, within the first few rows (title rows
    above it are skipped); failing that, the first row that is not blank, so that a wrong header is reported
    column by column."""
    seen: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        seen.append((number, cells))
        if len(seen) == HEADER_SEARCH_ROWS:
            break
    for index, (number, cells) in enumerate(seen):
        if len({_header_name(cell) for cell in cells} & set(COLUMNS)) >= 2:
            return number, _columns([_header_name(cell) for cell in cells]), seen[index + 1 :]
    for index, (number, cells) in enumerate(seen):
        if any(_cell_text(cell) for cell in cells):
            return number, _columns([_header_name(cell) for cell in cells]), seen[index + 1 :]
    raise _refuse("no_rows", _("文件里没有内容。请使用下载的模板，第一行是列名，下面每行填写一位租客。"))


def _columns(names: list[str]) -> list[tuple[int, str]]:
    columns: list[tuple[int, str]] = []
    unknown: list[str] = []
    for position, name in enumerate(names):
        if not name or name == ERROR_COLUMN:  # a blank column, or the 错误原因 of our own rejected-rows CSV
            continue
        if name not in COLUMNS:
            unknown.append(name)
        elif any(name == seen for _, seen in columns):
            raise _refuse("column_repeated", _("“%(column)s”一列出现了两次，请删去一列。") % {"column": name})
        else:
            columns.append((position, name))
    present = {name for _, name in columns}
    missing = [name for name in REQUIRED if name not in present]
    if PROPERTY_ID not in present and PROPERTY_ADDRESS not in present:
        missing.insert(0, f"{PROPERTY_ID}/{PROPERTY_ADDRESS}")
    if unknown or missing:
        parts = []
        if missing:
            parts.append(gettext("缺少列：%(columns)s。") % {"columns": "、".join(missing)})
        if unknown:
            parts.append(gettext("无法识别的列：%(columns)s。") % {"columns": "、".join(unknown)})
        raise _refuse(
            "columns_invalid",
            _(
                "表头不对，没有导入任何一行。%(problems)s请使用下载的模板，列名为：%(columns)s（房屋编号和房屋地址填一个即可，租约到期日可不填）。"
            )
            % {"problems": "".join(parts), "columns": "、".join(TEMPLATE_COLUMNS)},
        )
    return columns


def _data_rows(upload: File) -> tuple[list[tuple[int, str]], list[_Row]]:
    """The header's columns and every non-blank row after it; refuses a file with more than MAX_ROWS."""
    rows = _rows(upload)
    header_number, columns, after_header = _header(rows)
    data: list[_Row] = []
    rest = enumerate(rows, start=(after_header[-1][0] if after_header else header_number) + 1)
    for number, cells in itertools.chain(after_header, rest):
        values = {name: cells[position] if position < len(cells) else None for position, name in columns}
        texts = {name: _cell_text(value) for name, value in values.items()}
        if not any(texts.values()):
            continue
        if len(data) == MAX_ROWS:
            raise _refuse(
                "too_many_rows",
                _("一个文件最多 %(max)s 行，这个文件更多。请分成几个文件上传，没有导入任何一行。") % {"max": MAX_ROWS},
            )
        data.append(_Row(number, texts, values))
    if not data:
        raise _refuse("no_rows", _("表头下面没有数据行。请在表头下面每行填写一位租客。"))
    return columns, data


# --- one row ------------------------------------------------------------------------------------------


def _date(value: Any, text: str) -> datetime.date | None:
    """A date cell, YYYY-MM-DD, or what Excel writes into a CSV for a date cell (2026/3/1)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and 20_000 < value < 80_000:  # an unformatted Excel date serial
        return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(value))
    if match := _DATE.fullmatch(text):
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    return None


@dataclass
class _Parsed:
    prop: Property | None = None
    property_column: str = PROPERTY_ID
    id_number: str = ""
    move_in_date: datetime.date | None = None
    lease_end_date: datetime.date | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)


def _parse(row: _Row, *, by_id: dict[int, Property], by_address: dict[str, list[Property]]) -> _Parsed:
    """Check what the service cannot: which of the actor's properties the row names, and the cells' forms."""
    parsed = _Parsed()
    cells, errors = row.cells, []
    property_id, address = cells.get(PROPERTY_ID, ""), " ".join(cells.get(PROPERTY_ADDRESS, "").split())
    if property_id:
        parsed.prop = by_id.get(int(property_id)) if _is_property_id(property_id) else None
        if parsed.prop is None:
            message = gettext("没有编号为 %(id)s 的房屋登记在您的账户下。请核对房屋编号（“我的房屋”里可以看到）。")
            errors.append((PROPERTY_ID, message % {"id": property_id}))
        elif address and " ".join(parsed.prop.address.split()) != address:
            message = gettext("房屋编号 %(id)s 登记的地址是“%(address)s”，与这一行填写的地址不一致。")
            errors.append((PROPERTY_ADDRESS, message % {"id": property_id, "address": parsed.prop.address}))
    elif address:
        parsed.property_column = PROPERTY_ADDRESS
        matches = by_address.get(address, [])
        if len(matches) == 1:
            parsed.prop = matches[0]
        elif not matches:
            errors.append(
                (
                    PROPERTY_ADDRESS,
                    gettext("您的账户下没有登记这个地址的房屋。地址须与登记时一字不差，或改填房屋编号。"),
                )
            )
        else:
            message = gettext("您的账户下有 %(count)s 处房屋是这个地址，请改填房屋编号。")
            errors.append((PROPERTY_ADDRESS, message % {"count": len(matches)}))
    else:
        errors.append((PROPERTY_ID, gettext("请填写房屋编号或房屋地址。")))

    parsed.id_number = cells.get(ID_NUMBER, "")
    if isinstance(row.values.get(ID_NUMBER), int | float) or _SCIENTIFIC.match(parsed.id_number):
        # Excel keeps 15 significant digits of a number: an 18-digit ID typed into a number cell has lost its
        # last digits already, so say how to keep them rather than report a checksum error.
        errors.append(
            (ID_NUMBER, gettext("身份证号被表格存成了数字，后几位已经丢失。请把这一列设为“文本”格式后重新填写。"))
        )
    elif not parsed.id_number:
        errors.append((ID_NUMBER, gettext("请填写身份证号。")))
    else:
        try:  # checked here too, so that a row with a wrong date and a wrong number hears of both at once
            id_number_validate(parsed.id_number)
        except DomainError as error:
            errors.append((ID_NUMBER, str(error.message)))
    if not cells.get(NAME):
        errors.append((NAME, gettext("请填写姓名。")))

    parsed.move_in_date = _date(row.values.get(MOVE_IN), cells.get(MOVE_IN, ""))
    if parsed.move_in_date is None and cells.get(MOVE_IN):
        errors.append((MOVE_IN, gettext("请按 年-月-日 填写入住日期，例如 2026-03-01。")))
    elif parsed.move_in_date is None:
        errors.append((MOVE_IN, gettext("请填写入住日期。")))
    if cells.get(LEASE_END):
        parsed.lease_end_date = _date(row.values.get(LEASE_END), cells[LEASE_END])
        if parsed.lease_end_date is None:
            errors.append((LEASE_END, gettext("请按 年-月-日 填写租约到期日，例如 2027-02-28；没有可不填。")))
    parsed.errors = errors
    return parsed


def _is_property_id(text: str) -> bool:
    """Digits that can be a row id (an ID number pasted into the column would overflow the database's integer)."""
    return text.isdigit() and len(text) <= 15


def _properties(actor: User, rows: list[_Row]) -> tuple[dict[int, Property], dict[str, list[Property]]]:
    """The actor's own properties that the rows name, by id and by address, read once for the whole file.
    Only the properties the actor registered are matched: a caseworker or administrator sees more, but an
    import reports tenants into one's own properties only."""
    ids = {int(r.cells[PROPERTY_ID]) for r in rows if _is_property_id(r.cells.get(PROPERTY_ID, ""))}
    addresses = {" ".join(r.cells.get(PROPERTY_ADDRESS, "").split()) for r in rows} - {""}
    if not ids and not addresses:
        return {}, {}
    owned = Property.objects.visible_to(actor).filter(owner=actor)
    by_id: dict[int, Property] = {}
    by_address: dict[str, list[Property]] = {}
    for prop in owned.filter(Q(pk__in=ids) | Q(address__in=addresses)):
        by_id[prop.pk] = prop
        by_address.setdefault(" ".join(prop.address.split()), []).append(prop)
    # A property found by its address is not thereby matched by its id (and the other way round): keep
    # only what each row asked for.
    return {pk: p for pk, p in by_id.items() if pk in ids}, {a: ps for a, ps in by_address.items() if a in addresses}


def _error_column(error: DomainError, parsed: _Parsed) -> str:
    if error.field in FIELD_COLUMNS:
        return FIELD_COLUMNS[error.field]
    if error.field == "property" or error.code in PROPERTY_CODES:
        return parsed.property_column
    return ""


# --- reporting the rows -------------------------------------------------------------------------------


@dataclass
class _Prepared:
    """A file read and checked, its rows matched to the actor's properties and parsed, and the holiday
    calendar of the years its move-in dates fall in (read once for the file, not once a row)."""

    header: list[str]
    rows: list[tuple[_Row, _Parsed]]
    calendar: workdays.WorkingCalendar


def _prepare(actor: User, upload: File) -> _Prepared:
    columns, rows = _data_rows(upload)
    by_id, by_address = _properties(actor, rows)
    parsed = [(row, _parse(row, by_id=by_id, by_address=by_address)) for row in rows]
    # working_days_after looks into the year after the move-in for deadlines that cross New Year.
    years = {year for _, p in parsed if p.move_in_date for year in (p.move_in_date.year, p.move_in_date.year + 1)}
    return _Prepared([name for _, name in columns], parsed, workdays.calendar_for(years))


def _report_rows(
    actor: User, prepared: _Prepared, result: ImportResult, *, ip: str | None, start: int = 0,
    after_group: Callable[[int], None] | None = None,
) -> None:  # fmt: skip
    """Report the rows from ``start`` on, COMMIT_EVERY to a transaction; ``after_group(rows done)`` runs
    inside each group's transaction, so that what it records commits, or rolls back, with the rows.

    Each row is one call of tenancy_report_move_in, whose own transaction is a savepoint here: a refused row
    rolls back only itself. The call is deliberately not wrapped in a further savepoint, because an
    over-capacity refusal saves a group-rental flag for the caseworkers beside the refusal, and a savepoint
    around it would undo the flag with the refusal. A commit waits for the disk, and one per row made a
    10 000-row file half again as slow (docs/PERFORMANCE.md), while the rows' locks (the property, the
    tenant) are still held for a second or two only.
    """
    rows = prepared.rows
    for group_start in range(start, len(rows), COMMIT_EVERY):
        group_end = min(group_start + COMMIT_EVERY, len(rows))
        with transaction.atomic():
            for row, parsed in rows[group_start:group_end]:
                _import_row(actor, row, parsed, result, calendar=prepared.calendar, ip=ip)
            if after_group is not None:
                after_group(group_end)


def tenancies_import(*, actor: User, upload: File, ip: str | None = None) -> ImportResult:
    """Report every row of an agency's spreadsheet as a move-in (人来申报) in this process; return what was
    accepted and, for each refused row, why. A file that cannot be read, or whose header is wrong, raises
    DomainError before any row is reported. The pages go through import_job_create instead (a web request
    cannot last as long as a large file takes); scripts and the benchmark call this."""
    prepared = _prepare(actor, upload)
    result = ImportResult(rows=len(prepared.rows), header=prepared.header)
    _report_rows(actor, prepared, result, ip=ip)
    return result


def _import_row(
    actor: User, row: _Row, parsed: _Parsed, result: ImportResult, *, calendar: workdays.WorkingCalendar,
    ip: str | None,
) -> None:  # fmt: skip
    errors = parsed.errors
    if not errors:
        assert parsed.prop is not None
        try:
            tenancy_report_move_in(
                actor=actor, prop=parsed.prop, id_number=parsed.id_number, name=row.cells[NAME],
                move_in_date=parsed.move_in_date, phone=row.cells.get(PHONE, ""),
                lease_end_date=parsed.lease_end_date, source=TenancySource.IMPORT, calendar=calendar, ip=ip,
            )  # fmt: skip
            result.accepted += 1
            return
        except DomainError as error:
            errors = [(_error_column(error, parsed), str(error.message))]
        except IntegrityError:
            # Another report for the same person or place was saved at the same moment (a second upload of
            # the file running alongside): this row only is rolled back; sending it again settles it.
            errors = [("", gettext("同一时间有另一份申报涉及这一行，这一行没有导入，请稍后重新上传这一行。"))]
    # The messages are kept (with the job) and shown: never with a full ID number in them.
    errors = [(column, id_numbers_masked_in(message)) for column, message in errors]
    result.errors += [RowError(row.number, column, message) for column, message in errors]
    reason = "；".join(f"{column}：{message}" if column else message for column, message in errors)
    label = " ".join(filter(None, [row.cells.get(NAME, ""), masked_id(parsed.id_number)]))
    cells = [*(row.cells.get(name, "") for name in result.header), reason]
    result.rejected.append(RejectedRow(row.number, label, cells))


# --- the background job ---------------------------------------------------------------------------------


class _Superseded(Exception):
    """The job was claimed again (presumed dead, see import_jobs_revive) while this worker still ran it."""


def import_job_create(*, actor: User, upload: File, ip: str | None = None) -> ImportJob:
    """Check an uploaded spreadsheet as a whole, keep it privately and queue its import; return the job.

    The checks are those of the import itself (type, size, header, number of rows): a wrong file is refused
    here with a DomainError and nothing is kept or queued. The rows are reported later by import_job_run:
    after commit, by a Celery worker, or in-process on the embedded default (CELERY_TASK_ALWAYS_EAGER, as
    notifications.services does), which then finishes before this returns.
    """
    columns, rows = _data_rows(upload)
    import_jobs_purge(owner=actor)  # the uploader's own old results: a bounded, indexed update
    extension = "xlsx" if _kind(_head(upload)) == "xlsx" else "csv"
    job = ImportJob(
        owner=actor, original_name=os.path.basename(upload.name or "")[:200] or f"import.{extension}",
        language=translation.get_language() or settings.LANGUAGE_CODE, ip=ip,
        header=[name for _, name in columns], rows_total=len(rows),
    )  # fmt: skip
    upload.seek(0)
    # A random name: the original one may well be a tenant's or an agency's ("张三等12人.xlsx").
    job.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    try:
        job.save()
    except BaseException:
        job.file.delete(save=False)
        raise
    _run_after_commit(job.pk)  # at once in autocommit; after the caller's transaction commits, if in one
    return job


def _head(upload: File) -> bytes:
    upload.seek(0)
    return upload.read(512)


def _run_after_commit(job_id: int) -> None:
    """Have the job run once this transaction commits: in-process on the embedded default, else by a worker.
    A broker that cannot be reached is logged, not raised (the upload is saved, robust=True); the job stays
    queued and import_jobs_revive sends it again."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(partial(import_job_run, job_id=job_id))
        return
    from . import tasks

    def send() -> None:  # a named function: a robust callback's failure is logged under its name
        tasks.import_job_run.delay(job_id)

    transaction.on_commit(send, robust=True)


def import_job_run(*, job_id: int) -> bool:
    """Report the rows of a queued job; returns False when there was nothing for this call to do.

    The job is claimed with a conditional UPDATE (queued → running): of two workers given the same job, one
    claims it and the other returns. Each claim counts an attempt, and the worker writes its progress only
    while the job is still at its attempt: a worker presumed dead and replaced (import_jobs_revive) that
    wakes up again finds its group refused (_Superseded) and stops, rolling that group back.

    Rows go as in tenancies_import, a group of COMMIT_EVERY to a transaction, and the job's progress (rows
    done, accepted, the refused rows) is saved in the same transaction as each group: a job taken up again
    after its worker died goes on from the first row not committed, and nothing is reported twice.

    The job ends done, or failed on an unexpected error (logged; the page says so in general words, and the
    groups committed before it stay). Either way the file is deleted.
    """
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJobStatus.QUEUED).update(
        status=ImportJobStatus.RUNNING, attempts=F("attempts") + 1, progress_at=now,
        started_at=Coalesce("started_at", Value(now)),
    )  # fmt: skip
    if not claimed:
        return False
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    try:
        with translation.override(job.language):
            _job_report(job)
    except _Superseded:
        logger.warning("Import job %s was taken over by another worker; this one stops.", job_id)
        return False
    except Exception:
        logger.exception("Import job %s stopped by an unexpected error.", job_id)
        _job_end(job, ImportJobStatus.FAILED)
        return True
    _job_end(job, ImportJobStatus.DONE)
    return True


def _job_report(job: ImportJob) -> None:
    with job.file.open("rb") as stored:
        content = ContentFile(stored.read(), name=job.file.name)
    prepared = _prepare(job.owner, content)
    result = ImportResult(rows=len(prepared.rows), header=prepared.header)  # this run's rows only
    # The job's refused rows as saved, an earlier attempt's included; this run's are added group by group.
    errors, rejected = list(job.errors), list(job.rejected_rows)
    saved_errors = saved_rows = 0  # how many of this run's errors and refused rows those lists hold
    id_column = prepared.header.index(ID_NUMBER)

    def record_progress(rows_done: int) -> None:
        nonlocal saved_errors, saved_rows
        fields: dict[str, Any] = {
            "rows_done": rows_done, "accepted": job.accepted + result.accepted, "progress_at": timezone.now(),
        }  # fmt: skip
        if len(result.rejected) > saved_rows:  # the group refused rows
            new_errors = [asdict(error) for error in result.errors[saved_errors:]]
            new_rows = [
                {"row": r.row, "label": r.label, "cells": _sealed(r.cells, id_column)}
                for r in result.rejected[saved_rows:]
            ]
            errors.extend(new_errors)
            rejected.extend(new_rows)
            fields["errors"] = _appended("errors", new_errors, errors)
            fields["rejected_rows"] = _appended("rejected_rows", new_rows, rejected)
            saved_errors, saved_rows = len(result.errors), len(result.rejected)
        mine = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts, status=ImportJobStatus.RUNNING)
        if not mine.update(**fields):
            raise _Superseded

    _report_rows(job.owner, prepared, result, ip=job.ip, start=job.rows_done, after_group=record_progress)


def _appended(column: str, added: list[dict[str, Any]], whole: list[dict[str, Any]]) -> Any:
    """What a JSON list column is set to when ``added`` is appended: on PostgreSQL, appended in the database
    (jsonb ||), so that only the new items travel and are parsed — writing the whole list back after every
    group made a 10 000-row file of refused rows take 10.5 s instead of 4 s (quadratic in the refused rows);
    elsewhere (the embedded SQLite) the whole list, ``whole``, written again."""
    if connection.vendor != "postgresql":
        return whole
    return CombinedExpression(F(column), "||", Value(added, output_field=JSONField()), output_field=JSONField())


def _sealed(cells: list[str], id_column: int) -> list[str]:
    """A refused row's cells as kept with the job: the ID number encrypted, as a Resident's is."""
    return [id_number_encrypt(value) if index == id_column and value else value for index, value in enumerate(cells)]


def _unsealed(cells: list[str], id_column: int) -> list[str]:
    return [id_number_decrypt(value) if index == id_column and value else value for index, value in enumerate(cells)]


def _job_end(job: ImportJob, status: str) -> None:
    """Finish the job (while it is still this attempt's) and delete its file."""
    now = timezone.now()
    ended = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts, status=ImportJobStatus.RUNNING).update(
        status=status, finished_at=now, progress_at=now, file=""
    )
    if ended:
        _file_delete(job.file.name)


def _file_delete(name: str) -> None:
    if not name:
        return
    try:
        ImportJob._meta.get_field("file").storage.delete(name)
    except Exception:  # the job has ended whatever the storage says; the file is reported for removal by hand
        logger.exception("The uploaded file %s of an import job could not be deleted.", name)


def import_jobs_revive(*, job_ids: list[int] | None = None, now: datetime.datetime | None = None) -> int:
    """Queue again the jobs a worker has stopped working on; returns how many were queued again.

    A job is presumed lost when it has been queued or running for STALE_AFTER without a sign of life (its
    claim, or a group of rows committed): the worker was killed or restarted mid-file, or the broker lost or
    never took the message (a broker outage at upload time). It goes back to "queued" and is sent again; the
    next worker goes on from the first row not committed. A job that has already been claimed MAX_ATTEMPTS
    times ends as failed instead (its file deleted): something in the file may be what brings workers down.

    Two places call this, which keeps it simple: the job's page, for its own job, when the owner looks at
    it (the page refreshes itself while the job is open, so a stuck job is noticed by whoever waits on it),
    and the sweep task housing.tasks.import_jobs_sweep for all jobs (run by beat). Rows locked by a live
    worker's transaction are skipped, and the conditional claim in import_job_run keeps a job that is sent
    twice from running twice.
    """
    now = now or timezone.now()
    stale = ImportJob.objects.filter(
        status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING], progress_at__lt=now - STALE_AFTER
    )
    if job_ids is not None:
        stale = stale.filter(pk__in=job_ids)
    with transaction.atomic():
        jobs = list(stale.select_for_update(skip_locked=True).only("pk", "attempts", "file"))
        again = [job.pk for job in jobs if job.attempts < MAX_ATTEMPTS]
        given_up = [job for job in jobs if job.attempts >= MAX_ATTEMPTS]
        if again:
            ImportJob.objects.filter(pk__in=again).update(status=ImportJobStatus.QUEUED, progress_at=now)
            for job_id in again:
                _run_after_commit(job_id)
        if given_up:
            ImportJob.objects.filter(pk__in=[job.pk for job in given_up]).update(
                status=ImportJobStatus.FAILED, finished_at=now, progress_at=now, file=""
            )
            for job in given_up:
                logger.error("Import job %s given up after %s attempts.", job.pk, job.attempts)
                transaction.on_commit(partial(_file_delete, job.file.name))
    return len(again)


def import_job_revive_if_stale(job: ImportJob) -> bool:
    """The job page's check: queue its job again if it is lost (see import_jobs_revive). A job with recent
    progress, the usual case on every refresh, costs no query."""
    if not job.is_open or job.progress_at >= timezone.now() - STALE_AFTER:
        return False
    return bool(import_jobs_revive(job_ids=[job.pk]))


def import_jobs_purge(*, owner: User | None = None, now: datetime.datetime | None = None) -> int:
    """Empty the refused rows (names, phones, encrypted ID numbers) and their errors of jobs that ended more
    than KEEP_DETAILS ago; the counts stay. Run for all jobs by the sweep task, and for the uploader's own
    jobs at each upload. Returns how many jobs were emptied."""
    now = now or timezone.now()
    ended = ImportJob.objects.filter(finished_at__lt=now - KEEP_DETAILS)
    if owner is not None:
        ended = ended.filter(owner=owner)
    return ended.exclude(errors=[], rejected_rows=[]).update(errors=[], rejected_rows=[])


@dataclass(frozen=True)
class ShownRow:
    row: int
    label: str
    errors: list[RowError]


def import_job_errors_shown(job: ImportJob, limit: int = ERRORS_SHOWN) -> list[ShownRow]:
    """The refused rows of a job with their errors, first ``limit`` rows, for its page."""
    by_row: dict[int, list[RowError]] = {}
    for error in job.errors:
        by_row.setdefault(error["row"], []).append(RowError(error["row"], error["column"], error["message"]))
    return [ShownRow(r["row"], r["label"], by_row.get(r["row"], [])) for r in job.rejected_rows[:limit]]


def import_job_rejected_csv(job: ImportJob) -> bytes:
    """The refused rows of a job as the CSV to fix and upload again, with their 错误原因; the ID numbers in
    clear, as the agency typed them. Refused once the details have been purged."""
    if job.rejected and not job.rejected_rows:
        raise DomainError(
            "details_purged",
            _("未导入行的明细只保存 7 天，已经删除。请用原来的文件重新上传，已申报的租客会提示“已登记”。"),
        )
    id_column = job.header.index(ID_NUMBER)
    return rejected_csv([*job.header, ERROR_COLUMN], [_unsealed(r["cells"], id_column) for r in job.rejected_rows])


# --- the files handed back ------------------------------------------------------------------------------


def _csv_safe(column: str, value: str) -> str:
    """A cell written so that Excel shows what was typed: an ID number as ="…" (as a number Excel would keep
    only 15 digits), and text that Excel would run as a formula with a leading apostrophe (CSV injection).
    The import reads both forms back (see _cell_text)."""
    if column == ID_NUMBER and re.fullmatch(r"\d+[Xx]?", value):
        return f'="{value}"'
    if value[:1] in ("=", "@", "\t", "\r") or (value[:1] in ("+", "-") and not re.fullmatch(r"[+-][\d\s-]*", value)):
        return "'" + value
    return value


def rejected_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """The rows as CSV in UTF-8 with a BOM, so that Excel on a Chinese Windows opens it without garbling."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(column, value) for column, value in zip(header, row, strict=True)])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_csv() -> bytes:
    """The empty template: the header row only (an example row would be imported if left in)."""
    return rejected_csv(list(TEMPLATE_COLUMNS), [])


def template_xlsx(properties: list[tuple[int, str, int]] | None = None) -> bytes:
    """The same template as an Excel workbook whose ID number and phone columns are text (so that Excel keeps
    all 18 digits) and whose date columns are dates; a second sheet lists the account's verified properties
    (编号, 地址, 核定人数) to copy the 房屋编号 from. Only the first sheet is imported."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("入住名单")
    sheet.append(list(TEMPLATE_COLUMNS))
    widths = {PROPERTY_ID: 10, PROPERTY_ADDRESS: 36, ID_NUMBER: 22, NAME: 10, PHONE: 15, MOVE_IN: 12, LEASE_END: 12}
    formats = {ID_NUMBER: "@", PHONE: "@", PROPERTY_ADDRESS: "@", NAME: "@", MOVE_IN: "yyyy-mm-dd",
               LEASE_END: "yyyy-mm-dd"}  # fmt: skip
    for index, name in enumerate(TEMPLATE_COLUMNS, start=1):
        header = sheet.cell(row=1, column=index)
        header.font = Font(bold=True)
        sheet.column_dimensions[header.column_letter].width = widths[name]
        for row in range(2, 502):  # formatted cells for the first 500 rows: enough for most uploads
            sheet.cell(row=row, column=index).number_format = formats.get(name, "General")
    sheet.freeze_panes = "A2"
    if properties is not None:
        listing = workbook.create_sheet(gettext("我的房屋（仅供查编号，不导入）"))
        listing.append([PROPERTY_ID, PROPERTY_ADDRESS, gettext("核定居住人数")])
        for cell in listing[1]:
            cell.font = Font(bold=True)
        for row in properties:
            listing.append(list(row))
        listing.column_dimensions["B"].width = 40
        listing.column_dimensions["C"].width = 14
        listing.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def masked_id(value: str) -> str:
    """The ID number of a row as the result page shows it (masked like everywhere else)."""
    value = (value or "").strip()
    return id_number_mask(value) if len(value) >= 8 else value
