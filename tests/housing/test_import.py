"""An agency uploads a spreadsheet of move-ins: every row is accepted or reported back with its own error, and a
bad row never loses the good ones."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
import zipfile
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from housing import imports, services, tasks
from housing.choices import ImportJobStatus, TenancySource, TenancyStatus
from housing.imports import RowError
from housing.models import ImportJob, OccupancyFlag, Property, Tenancy
from residents.models import AuditEvent, ResidenceRegistration, Resident
from residents.pii import id_number_mask
from tests.casework import PDF, media_files, refused
from tests.factories import ResidentFactory, UserFactory, caseworker_for, make_id_number

pytestmark = pytest.mark.django_db

HEADER = ["房屋编号", "身份证号", "姓名", "手机号", "入住日期", "租约到期日"]


# --- the scene ------------------------------------------------------------------------------------------


@pytest.fixture
def agency(db):  # type: ignore[no-untyped-def]
    """A letting agency's account (中介), managing several properties."""
    return UserFactory(username="agency_anjia")


def a_property(owner, community, caseworker, *, address: str = "环城西路 18 号 2 幢 302 室", max_occupants: int = 4):  # type: ignore[no-untyped-def]
    prop = services.property_register(
        actor=owner, address=address, community=community, rooms=2, floor_area="58.5", max_occupants=max_occupants,
        owner_name="王业主", ownership_proof=SimpleUploadedFile("产权证.pdf", PDF),
    )  # fmt: skip
    return services.property_verify(actor=caseworker, prop=prop)


@pytest.fixture
def flat(agency, tashan_community, caseworker) -> Property:
    return a_property(agency, tashan_community, caseworker, address="环城西路 18 号 2 幢 302 室")


@pytest.fixture
def small_flat(agency, tashan_community, caseworker) -> Property:
    """Registered for one occupant only."""
    return a_property(agency, tashan_community, caseworker, address="胜利东路 9 号 1 幢 101 室", max_occupants=1)


def days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def tenant(name: str = "陈明") -> tuple[Resident, str]:
    """A resident the portal knows, with their ID number in clear (as the agency has it)."""
    number = make_id_number(datetime.date(1992, 5, 17))
    return ResidentFactory(plain_id_number=number, name=name), number


def a_csv(rows: list[list[str]], *, header: list[str] = HEADER, encoding: str = "utf-8", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + buffer.getvalue().encode(encoding)


def upload(content: bytes, name: str = "入住名单.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def run(actor, content: bytes, name: str = "入住名单.csv") -> imports.ImportResult:  # type: ignore[no-untyped-def]
    return imports.tenancies_import(actor=actor, upload=upload(content, name))


def error_of(result: imports.ImportResult, row: int) -> RowError:
    [error] = [e for e in result.errors if e.row == row]
    return error


# --- mixed good and bad rows ------------------------------------------------------------------------------


def test_good_rows_are_reported_and_each_bad_row_comes_back_with_its_row_column_and_reason(
    agency, flat, small_flat, tashan_community, caseworker
):
    known, known_id = tenant()
    newcomer_id = make_id_number(datetime.date(1995, 8, 1))
    bad_checksum = known_id[:17] + ("0" if known_id[17] != "0" else "1")
    first_in_small, first_in_small_id = tenant("赵敏")
    _, second_in_small_id = tenant("孙丽")
    someone_elses = a_property(UserFactory(), tashan_community, caseworker, address="解放北路 1 号")
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    content = a_csv(
        [
            [str(flat.pk), known_id, "陈明", "", days_ago(2), ""],  # row 2: an existing resident, matched
            [str(flat.pk), newcomer_id, "刘洋", "13912345678", days_ago(1), days_ago(-365)],  # 3: a newcomer
            [str(flat.pk), bad_checksum, "张伟", "13912345679", days_ago(1), ""],  # 4: a mistyped ID number
            [str(someone_elses.pk), make_id_number(), "李娜", "13912345670", days_ago(1), ""],  # 5: not theirs
            [str(flat.pk), make_id_number(), "王强", "13912345671", tomorrow, ""],  # 6: not moved in yet
            [str(small_flat.pk), first_in_small_id, "赵敏", "", days_ago(3), ""],  # 7: the one place
            [str(small_flat.pk), second_in_small_id, "孙丽", "", days_ago(3), ""],  # 8: one too many
            [str(flat.pk), known_id, "陈明", "", days_ago(2), ""],  # 9: the same tenant again
        ]
    )

    result = run(agency, content)

    assert (result.rows, result.accepted, result.rejected_count) == (8, 3, 5)
    assert [(e.row, e.column) for e in result.errors] == [
        (4, "身份证号"), (5, "房屋编号"), (6, "入住日期"), (8, "房屋编号"), (9, "身份证号"),
    ]  # fmt: skip
    assert "校验位" in error_of(result, 4).message
    assert "没有编号为" in error_of(result, 5).message
    assert "不能晚于今天" in error_of(result, 6).message
    assert "核定居住 1 人" in error_of(result, 8).message
    assert "已登记" in error_of(result, 9).message

    saved = Tenancy.objects.filter(property__owner=agency).order_by("pk")
    assert [(t.tenant_id, t.property_id, t.status, t.source) for t in saved] == [
        (known.pk, flat.pk, TenancyStatus.ACTIVE, TenancySource.IMPORT),
        (Resident.objects.get(name="刘洋").pk, flat.pk, TenancyStatus.ACTIVE, TenancySource.IMPORT),
        (first_in_small.pk, small_flat.pk, TenancyStatus.ACTIVE, TenancySource.IMPORT),
    ]
    # The registrations followed, and the refused over-capacity report is a lead for the street.
    assert ResidenceRegistration.objects.get(resident=known, ended_on__isnull=True).address == flat.address
    assert OccupancyFlag.objects.filter(property=small_flat, attempted_by=agency).count() == 1
    assert not Tenancy.objects.filter(property=someone_elses).exists()


def test_the_rejected_rows_come_back_as_a_csv_with_the_reason_and_import_once_fixed(agency, flat):
    _, known_id = tenant()
    bad = known_id[:17] + ("0" if known_id[17] != "0" else "1")
    result = run(agency, a_csv([[str(flat.pk), bad, "陈明", "", days_ago(2), ""]]))
    assert result.accepted == 0

    text = result.rejected_csv().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*HEADER, "错误原因"]
    assert rows[1][1] == f'="{bad}"'  # so that Excel keeps the 18 digits
    assert rows[1][-1].startswith("身份证号：") and "校验位" in rows[1][-1]

    fixed = text.replace(bad, known_id).encode("utf-8-sig")  # the agency corrects the number, keeps 错误原因
    again = run(agency, fixed)
    assert (again.accepted, again.errors) == (1, [])


def test_a_property_can_be_named_by_its_exact_address(agency, flat, small_flat):
    resident, number = tenant()
    header = ["房屋地址", "身份证号", "姓名", "手机号", "入住日期"]
    result = run(
        agency,
        a_csv(
            [
                [flat.address, number, "陈明", "", days_ago(1)],
                ["环城西路 18 号", make_id_number(), "王强", "", days_ago(1)],
            ],
            header=header,
        ),
    )
    assert result.accepted == 1
    assert Tenancy.objects.get(tenant=resident).property == flat
    assert error_of(result, 3).column == "房屋地址"


def test_a_property_id_that_is_not_one_of_the_users_is_reported_whatever_its_form(agency, flat):
    _, number = tenant()
    rows = [[value, number, "陈明", "", days_ago(1), ""] for value in ("12a", "0", "9" * 30, number)]
    result = run(agency, a_csv(rows))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "房屋编号"),
        (3, "房屋编号"),
        (4, "房屋编号"),
        (5, "房屋编号"),
    ]


def test_blank_rows_are_skipped_and_the_row_numbers_stay_those_of_the_sheet(agency, flat):
    content = a_csv([["", "", "", "", "", ""], [str(flat.pk), "123", "王强", "", days_ago(1), ""]])
    result = run(agency, content)
    assert result.rows == 1
    assert (error_of(result, 3).column, "18 位" in error_of(result, 3).message) == ("身份证号", True)


def test_excel_dates_written_into_a_csv_and_title_rows_above_the_header_are_understood(agency, flat):
    resident, number = tenant()
    moved_in = timezone.localdate() - datetime.timedelta(days=4)
    lines = ["安家中介 入住名单,,,,,", ",".join(HEADER), f"{flat.pk},{number},陈明,,{moved_in:%Y/%-m/%-d},"]
    result = run(agency, "\r\n".join(lines).encode())
    assert (result.accepted, result.errors) == (1, [])
    assert Tenancy.objects.get(tenant=resident).move_in_date == moved_in


# --- encodings and formats ------------------------------------------------------------------------------


def test_a_utf8_csv_with_the_bom_excel_writes_is_read(agency, flat):
    resident, number = tenant()
    result = run(agency, a_csv([[str(flat.pk), number, "陈明", "", days_ago(1), ""]], bom=True))
    assert result.accepted == 1 and Tenancy.objects.filter(tenant=resident).exists()


def test_a_gbk_csv_as_excel_on_a_chinese_windows_saves_it_is_read(agency, flat):
    newcomer = make_id_number(datetime.date(1988, 2, 29))
    result = run(agency, a_csv([[str(flat.pk), newcomer, "欧阳娜", "13912345678", days_ago(1), ""]], encoding="gbk"))
    assert result.accepted == 1
    assert Resident.objects.get(id_number_masked__endswith=newcomer[-4:], name="欧阳娜")


def a_workbook(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("其他").append(["不读这张表"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_date_cells_is_read_from_its_first_sheet(agency, flat):
    resident, number = tenant()
    moved_in = timezone.localdate() - datetime.timedelta(days=5)
    lease_end = datetime.datetime.combine(moved_in + datetime.timedelta(days=365), datetime.time())
    content = a_workbook([[flat.pk, number, "陈明", 13912345678, moved_in, lease_end]])
    result = run(agency, content, "名单.xlsx")
    assert (result.accepted, result.errors) == (1, [])
    tenancy = Tenancy.objects.get(tenant=resident)
    assert (tenancy.move_in_date, tenancy.lease_end_date) == (moved_in, lease_end.date())


def test_an_id_number_excel_stored_as_a_number_is_explained_not_called_a_checksum_error(agency, flat):
    content = a_workbook([[flat.pk, 412827199001011000, "陈明", "", days_ago(1), None]])
    result = run(agency, content, "名单.xlsx")
    assert error_of(result, 2).column == "身份证号"
    assert "文本" in error_of(result, 2).message
    scientific = run(agency, a_csv([[str(flat.pk), "4.12827E+17", "陈明", "", days_ago(1), ""]]))
    assert "文本" in error_of(scientific, 2).message


# --- the file as a whole: one clear error, nothing imported ---------------------------------------------------


def test_wrong_headers_import_nothing_and_name_the_columns(agency, flat):
    _, number = tenant()
    content = a_csv([[str(flat.pk), number, "陈明", days_ago(1)]], header=["房屋编号", "证件号码", "姓名", "入住日期"])
    error = refused(run, actor=agency, content=content)
    assert (error.code, error.field) == ("columns_invalid", "file")
    assert "缺少列：身份证号、手机号" in str(error.message) and "无法识别的列：证件号码" in str(error.message)
    assert not Tenancy.objects.exists()


def test_a_file_without_a_property_column_is_refused(agency):
    content = a_csv([], header=["身份证号", "姓名", "手机号", "入住日期"])
    assert "房屋编号/房屋地址" in str(refused(run, actor=agency, content=content).message)


def test_more_than_ten_thousand_rows_import_nothing(agency, flat):
    _, number = tenant()
    rows = [[str(flat.pk), number, "陈明", "", days_ago(1), ""]] * (imports.MAX_ROWS + 1)
    assert refused(run, actor=agency, content=a_csv(rows)).code == "too_many_rows"
    assert not Tenancy.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (PDF, "名单.csv", "file_type_invalid"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "名单.xlsx", "file_type_invalid"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "名单.xls", "file_type_xls"),
        (b"", "名单.csv", "file_empty"),
    ],
    ids=["pdf", "png", "old-xls", "empty"],
)
def test_what_is_not_a_spreadsheet_is_refused_by_its_content(agency, content, name, code):
    assert refused(run, actor=agency, content=content, name=name).code == code


def test_a_zip_that_is_not_a_workbook_is_refused(agency):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(run, actor=agency, content=buffer.getvalue(), name="名单.xlsx").code == "file_type_invalid"


def test_a_file_over_five_megabytes_is_refused(agency):
    content = a_csv([]) + b"#" * imports.MAX_BYTES
    assert refused(run, actor=agency, content=content).code == "file_too_large"


# --- visibility: only the actor's own properties are matched ------------------------------------------------


def test_an_import_never_reaches_another_landlords_property_even_by_its_exact_address(
    agency, flat, tashan_community, caseworker
):
    other = a_property(UserFactory(), tashan_community, caseworker, address="越东路 77 号 3 幢 201 室")
    _, number = tenant()
    by_address = a_csv(
        [[other.address, number, "陈明", "", days_ago(1)]],
        header=["房屋地址", "身份证号", "姓名", "手机号", "入住日期"],
    )
    assert error_of(run(agency, by_address), 2).column == "房屋地址"
    assert not Tenancy.objects.exists()


def test_a_caseworker_cannot_import_into_a_property_of_the_street_they_cover(caseworker, flat):
    _, number = tenant()
    result = run(caseworker, a_csv([[str(flat.pk), number, "陈明", "", days_ago(1), ""]]))
    assert (result.accepted, error_of(result, 2).column) == (0, "房屋编号")
    assert not Tenancy.objects.exists()


def test_a_property_awaiting_verification_is_named_but_refused(agency, tashan_community):
    pending = services.property_register(
        actor=agency, address="投醪河路 5 号 1 幢 501 室", community=tashan_community, rooms=1, floor_area="30",
        max_occupants=2, owner_name="王业主", ownership_proof=SimpleUploadedFile("产权证.pdf", PDF),
    )  # fmt: skip
    _, number = tenant()
    result = run(agency, a_csv([[str(pending.pk), number, "陈明", "", days_ago(1), ""]]))
    assert (error_of(result, 2).column, "核验" in error_of(result, 2).message) == ("房屋编号", True)


# --- the background job ---------------------------------------------------------------------------------------


@pytest.fixture
def eager(settings):  # type: ignore[no-untyped-def]
    """The embedded default: a job runs in-process right after its upload commits."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def with_broker(settings):  # type: ignore[no-untyped-def]
    """As in production: a job is handed to a Celery worker (the task's delay is recorded, not sent)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch("housing.tasks.import_job_run.delay") as delay:
        yield delay


def import_files() -> list[Path]:
    """The uploaded spreadsheets kept in private storage (the properties' ownership proofs are not counted)."""
    return [path for path in media_files() if "housing-imports" in path.parts]


def job_of(actor, content: bytes, capture, name: str = "入住名单.csv") -> ImportJob:  # type: ignore[no-untyped-def]
    """Upload a file as ``actor``; with the eager fixture the job has run by the time this returns."""
    with capture(execute=True):
        job = imports.import_job_create(actor=actor, upload=upload(content, name), ip="10.0.0.8")
    job.refresh_from_db()
    return job


def good_rows(flat: Property, count: int) -> list[list[str]]:
    return [[str(flat.pk), tenant(f"租客{n}")[1], f"租客{n}", "", days_ago(1), ""] for n in range(count)]


@pytest.mark.usefixtures("eager")
def test_an_upload_becomes_a_job_that_reports_the_good_rows_and_keeps_each_bad_row_with_its_reason(
    agency, flat, small_flat, django_capture_on_commit_callbacks
):
    _, known_id = tenant()
    bad_checksum = known_id[:17] + ("0" if known_id[17] != "0" else "1")
    _, second_in_small_id = tenant("孙丽")
    content = a_csv(
        [
            [str(flat.pk), known_id, "陈明", "", days_ago(2), ""],  # row 2: accepted
            [str(flat.pk), bad_checksum, "张伟", "13912345679", days_ago(1), ""],  # 3: a mistyped ID number
            [str(small_flat.pk), make_id_number(), "赵敏", "13912345678", days_ago(3), ""],  # 4: the one place
            [str(small_flat.pk), second_in_small_id, "孙丽", "", days_ago(3), ""],  # 5: one too many
            [str(flat.pk), known_id, "陈明", "", days_ago(2), ""],  # 6: the same tenant again
        ]
    )

    job = job_of(agency, content, django_capture_on_commit_callbacks)

    assert (job.status, job.rows_total, job.rows_done, job.accepted, job.rejected) == ("done", 5, 5, 2, 3)
    assert job.started_at and job.finished_at and job.attempts == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "身份证号"), (5, "房屋编号"), (6, "身份证号")]
    assert "核定居住 1 人" in job.errors[1]["message"] and "已登记" in job.errors[2]["message"]
    assert [r["label"] for r in job.rejected_rows] == [
        f"张伟 {id_number_mask(bad_checksum)}", f"孙丽 {id_number_mask(second_in_small_id)}",
        f"陈明 {id_number_mask(known_id)}",
    ]  # fmt: skip
    saved = Tenancy.objects.filter(property__owner=agency, source=TenancySource.IMPORT)
    assert sorted(saved.values_list("property_id", flat=True)) == sorted([flat.pk, small_flat.pk])
    assert OccupancyFlag.objects.filter(property=small_flat, attempted_by=agency).count() == 1
    # The rows were reported with the upload's address, as a single report from the page would be.
    audited = AuditEvent.objects.filter(event_type="housing.move_in")
    assert set(audited.values_list("ip_address", flat=True)) == {"10.0.0.8"}


@pytest.mark.usefixtures("eager")
def test_the_uploaded_file_is_deleted_when_the_job_ends_and_no_full_id_number_stays_in_the_clear(
    agency, flat, django_capture_on_commit_callbacks
):
    number = make_id_number(datetime.date(1990, 3, 3))
    job = job_of(agency, a_csv([[str(flat.pk), number, "陈明", "", "明天", ""]]), django_capture_on_commit_callbacks)
    assert (job.status, job.file.name, import_files()) == ("done", "", [])
    kept = json.dumps([job.errors, job.rejected_rows], ensure_ascii=False)
    assert number not in kept and id_number_mask(number) in kept  # the label; the cell itself is encrypted
    rows = list(csv.reader(io.StringIO(imports.import_job_rejected_csv(job).decode("utf-8-sig"))))
    assert rows[1][1] == f'="{number}"'  # the CSV has it back


def test_a_job_is_handed_to_a_worker_after_commit_and_keeps_its_file_until_then(
    agency, flat, with_broker, django_capture_on_commit_callbacks
):
    job = job_of(agency, a_csv(good_rows(flat, 3)), django_capture_on_commit_callbacks, name="张三等3人.csv")
    with_broker.assert_called_once_with(job.pk)
    assert (job.status, job.rows_total, job.rows_done, job.original_name) == ("queued", 3, 0, "张三等3人.csv")
    [stored] = import_files()
    assert "张三" not in stored.name and stored.suffix == ".csv"  # stored under a random name
    assert not Tenancy.objects.exists()

    # The worker's task runs the service.
    assert tasks.import_job_run(job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.accepted, import_files()) == ("done", 3, [])


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (PDF, "名单.xlsx", "file_type_invalid"),
        (a_csv([["1", "2", "3"]], header=["房屋编号", "证件号码", "入住日期"]), "名单.csv", "columns_invalid"),
        (a_csv([["1", "", "陈明", "", "2026-01-01", ""]] * (imports.MAX_ROWS + 1)), "名单.csv", "too_many_rows"),
    ],
    ids=["not-a-spreadsheet", "wrong-header", "too-many-rows"],
)
def test_a_wrong_file_is_refused_at_once_and_nothing_is_kept_or_queued(
    agency, content, name, code, with_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        error = refused(imports.import_job_create, actor=agency, upload=upload(content, name))
    assert (error.code, error.field) == (code, "file")
    assert (ImportJob.objects.count(), import_files(), with_broker.called) == (0, [], False)


def test_a_job_is_claimed_once_running_or_finished_jobs_are_left_alone(
    agency, flat, with_broker, django_capture_on_commit_callbacks
):
    job = job_of(agency, a_csv(good_rows(flat, 1)), django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING)
    assert imports.import_job_run(job_id=job.pk) is False  # another worker has it
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.QUEUED)
    assert imports.import_job_run(job_id=job.pk) is True
    assert imports.import_job_run(job_id=job.pk) is False  # sent twice: the second finds it done
    job.refresh_from_db()
    assert (job.status, job.attempts, job.accepted, Tenancy.objects.count()) == ("done", 1, 1, 1)


def test_progress_is_saved_after_each_group_of_rows(
    agency, flat, with_broker, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(imports, "COMMIT_EVERY", 2)
    bad_row = [str(flat.pk), "123", "坏行", "", days_ago(1), ""]
    job = job_of(agency, a_csv([*good_rows(flat, 4), bad_row]), django_capture_on_commit_callbacks)
    seen: list[tuple[int, int]] = []
    report = imports.tenancy_report_move_in

    def watched(**kwargs):  # type: ignore[no-untyped-def]
        now = ImportJob.objects.get(pk=job.pk)
        seen.append((now.rows_done, now.accepted))
        return report(**kwargs)

    monkeypatch.setattr(imports, "tenancy_report_move_in", watched)
    imports.import_job_run(job_id=job.pk)
    assert seen == [(0, 0), (0, 0), (2, 2), (2, 2)]  # the fifth row is refused before the service
    job.refresh_from_db()
    assert (job.rows_done, job.accepted, job.rejected, [e["row"] for e in job.errors]) == (5, 4, 1, [6])


def test_an_unexpected_error_fails_the_job_and_keeps_the_groups_reported_before_it(
    agency, flat, with_broker, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    monkeypatch.setattr(imports, "COMMIT_EVERY", 2)
    job = job_of(agency, a_csv(good_rows(flat, 4)), django_capture_on_commit_callbacks)
    report, calls = imports.tenancy_report_move_in, []

    def breaks_on_the_fourth_row(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["name"])
        if len(calls) == 4:
            raise RuntimeError("the database went away")
        return report(**kwargs)

    monkeypatch.setattr(imports, "tenancy_report_move_in", breaks_on_the_fourth_row)
    assert imports.import_job_run(job_id=job.pk) is True

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.accepted, job.rows_left, job.finished_at is not None) == (
        "failed", 2, 2, 2, True,
    )  # fmt: skip
    # The first group stays; the third row, in the group that broke, is rolled back with it.
    assert sorted(Tenancy.objects.values_list("tenant__name", flat=True)) == ["租客0", "租客1"]
    assert import_files() == []
    assert "Import job" in caplog.text and "the database went away" in caplog.text


def dead_worker_job(agency, flat, capture, *, attempts: int = 1) -> ImportJob:  # type: ignore[no-untyped-def]
    """A job whose worker committed the first group of two rows, then died 20 minutes ago."""
    job = job_of(agency, a_csv(good_rows(flat, 3)), capture)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.RUNNING, attempts=attempts, rows_done=2, accepted=2,
        progress_at=timezone.now() - datetime.timedelta(minutes=20),
    )  # fmt: skip
    return job


def test_a_job_left_running_by_a_dead_worker_is_taken_up_again_from_the_first_row_not_done(
    agency, flat, with_broker, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(imports, "COMMIT_EVERY", 2)
    job = dead_worker_job(agency, flat, django_capture_on_commit_callbacks)
    with_broker.reset_mock()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.import_jobs_sweep() == {"revived": 1, "purged": 0}
    with_broker.assert_called_once_with(job.pk)
    assert imports.import_job_run(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_done, job.accepted) == ("done", 2, 3, 3)
    # Rows 1 and 2 were counted as done before (here no worker really reported them): only row 3 is reported.
    assert list(Tenancy.objects.values_list("tenant__name", flat=True)) == ["租客2"]


def test_a_job_with_recent_progress_is_not_taken_up_again_and_one_that_keeps_dying_fails(
    agency, flat, with_broker, django_capture_on_commit_callbacks
):
    alive = job_of(agency, a_csv(good_rows(flat, 1)), django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=alive.pk).update(status=ImportJobStatus.RUNNING, attempts=1)
    doomed = dead_worker_job(agency, flat, django_capture_on_commit_callbacks, attempts=imports.MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        assert imports.import_jobs_revive() == 0
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert (statuses[alive.pk], statuses[doomed.pk]) == ("running", "failed")
    assert len(import_files()) == 1  # the doomed job's file is gone, the live one's kept


def test_a_replaced_worker_that_wakes_up_stops_without_writing(
    agency, flat, with_broker, django_capture_on_commit_callbacks, monkeypatch
):
    job = job_of(agency, a_csv(good_rows(flat, 2)), django_capture_on_commit_callbacks)
    report = imports.tenancy_report_move_in

    def meanwhile_revived_and_claimed_again(**kwargs):  # type: ignore[no-untyped-def]
        ImportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
        return report(**kwargs)

    monkeypatch.setattr(imports, "tenancy_report_move_in", meanwhile_revived_and_claimed_again)
    assert imports.import_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.rows_done, Tenancy.objects.count(), len(import_files())) == ("running", 0, 0, 1)


@pytest.mark.usefixtures("eager")
def test_a_weeks_old_jobs_refused_rows_are_emptied_and_its_counts_kept(
    agency, flat, django_capture_on_commit_callbacks
):
    job = job_of(
        agency, a_csv([[str(flat.pk), "123", "王强", "", days_ago(1), ""]]), django_capture_on_commit_callbacks
    )
    assert imports.import_jobs_purge() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert imports.import_jobs_purge() == 1
    job.refresh_from_db()
    assert (job.errors, job.rejected_rows, job.rows_done, job.rejected) == ([], [], 1, 1)
    assert refused(imports.import_job_rejected_csv, job=job).code == "details_purged"


# --- the pages ------------------------------------------------------------------------------------------


def post_file(client, content: bytes, name: str = "名单.csv"):  # type: ignore[no-untyped-def]
    return client.post(reverse("housing:import"), {"file": SimpleUploadedFile(name, content)})


def job_url(job: ImportJob) -> str:
    return reverse("housing:import_job", args=[job.pk])


def csv_url(job: ImportJob) -> str:
    return reverse("housing:import_job_rejected_csv", args=[job.pk])


def test_the_upload_page_asks_an_anonymous_visitor_to_sign_in(client):
    for url in (reverse("housing:import"), reverse("housing:import_template_csv")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_upload_page_offers_the_templates_and_the_instructions(client, agency, flat):
    client.force_login(agency)
    response = client.get(reverse("housing:import"))
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    assert reverse("housing:import_template_csv") in html and reverse("housing:import_template_xlsx") in html
    assert "设为“文本”格式" in html and 'id="no-verified-property"' not in html
    assert 'id="import-jobs"' not in html  # nothing uploaded yet


def test_a_user_without_a_verified_property_is_told_to_register_one_first(client, other_user):
    client.force_login(other_user)
    assert 'id="no-verified-property"' in client.get(reverse("housing:import")).content.decode()


def test_the_csv_template_is_the_header_excel_opens_without_garbling(client, agency):
    client.force_login(agency)
    response = client.get(reverse("housing:import_template_csv"))
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    assert (
        response.content == codecs.BOM_UTF8 + "房屋编号,房屋地址,身份证号,姓名,手机号,入住日期,租约到期日\r\n".encode()
    )


def test_the_excel_template_lists_the_users_own_verified_properties_only(
    client, agency, flat, tashan_community, caseworker
):
    a_property(UserFactory(), tashan_community, caseworker, address="越东路 77 号 3 幢 201 室")
    client.force_login(agency)
    workbook = load_workbook(io.BytesIO(client.get(reverse("housing:import_template_xlsx")).content))
    names, listing = workbook.sheetnames, workbook.worksheets[1]
    assert [c.value for c in workbook.worksheets[0][1]] == list(imports.TEMPLATE_COLUMNS)
    assert workbook.worksheets[0]["C2"].number_format == "@"  # the ID number column is text
    assert len(names) == 2
    assert [[c.value for c in row] for row in listing.iter_rows(min_row=2)] == [[flat.pk, flat.address, 4]]


@pytest.mark.usefixtures("eager")
def test_an_upload_goes_to_its_page_which_lists_each_refused_row_and_offers_its_csv(
    client, agency, flat, django_capture_on_commit_callbacks
):
    resident, number = tenant()
    client.force_login(agency)
    content = a_csv(
        [
            [str(flat.pk), number, "陈明", "", days_ago(1), ""],
            [str(flat.pk), "41282719900101123", "王强", "", "明天", ""],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, content)
    job = ImportJob.objects.get(owner=agency)
    assert response.status_code == 302 and response["Location"] == job_url(job)

    page = client.get(job_url(job))
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    assert 'http-equiv="refresh"' not in html  # done: nothing to wait for
    assert re.search(r'id="accepted-count"><strong>1</strong>', html)
    assert re.search(r'id="rejected-count"><strong>1</strong>', html)
    assert 'id="row-3"' in html and "第 3 行" in html
    assert (
        "<strong>身份证号</strong>：身份证号码应为 18 位" in html and "<strong>入住日期</strong>：请按 年-月-日" in html
    )
    assert "41282719900101123" not in html  # the page shows the number masked
    assert Tenancy.objects.filter(tenant=resident, source=TenancySource.IMPORT).exists()

    download = client.get(csv_url(job))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert download["Cache-Control"].startswith("no-store")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows] == ["姓名", "王强"] and rows[0][-1] == "错误原因"
    assert rows[1][1] == '="41282719900101123"'


def test_a_queued_or_running_job_shows_its_progress_and_refreshes_itself(
    client, agency, flat, with_broker, django_capture_on_commit_callbacks
):
    job = job_of(agency, a_csv(good_rows(flat, 3)), django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.RUNNING, rows_done=2, accepted=1)
    client.force_login(agency)
    html = client.get(job_url(job)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert 'value="2"' in html and "已处理 2 / 3 行" in html and "已申报 1 行，未导入 1 行" in html


def test_the_owner_looking_at_a_job_a_dead_worker_left_has_it_taken_up_again(
    client, agency, flat, settings, with_broker, django_capture_on_commit_callbacks
):
    job = dead_worker_job(agency, flat, django_capture_on_commit_callbacks)
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: it runs as the page asks
    client.force_login(agency)
    with django_capture_on_commit_callbacks(execute=True):
        # Queued again; on the embedded default it runs in-process as soon as that commits.
        assert 'id="import-progress"' in client.get(job_url(job)).content.decode()
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.accepted) == ("done", 3, 3)
    assert re.search(r'id="accepted-count"><strong>3</strong>', client.get(job_url(job)).content.decode())


def test_a_failed_job_says_what_was_kept_and_to_upload_the_file_again(
    client, agency, flat, with_broker, django_capture_on_commit_callbacks
):
    job = job_of(agency, a_csv(good_rows(flat, 3)), django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJobStatus.FAILED, rows_done=2, accepted=2, finished_at=timezone.now()
    )
    client.force_login(agency)
    html = client.get(job_url(job)).content.decode()
    assert 'id="import-failed"' in html and "再上传一次" in html
    assert re.search(r'id="not-processed-count"><strong>1</strong>', html)


@pytest.mark.usefixtures("eager")
def test_a_job_and_its_csv_are_the_uploaders_alone(
    client, agency, flat, other_user, caseworker, administrator, django_capture_on_commit_callbacks
):
    job = job_of(
        agency, a_csv([[str(flat.pk), "123", "王强", "", days_ago(1), ""]]), django_capture_on_commit_callbacks
    )
    for url in (job_url(job), csv_url(job)):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        for user, status in ((agency, 200), (other_user, 404), (caseworker, 404), (administrator, 200)):
            client.force_login(user)
            assert client.get(url).status_code == status, (url, user)
        client.logout()


@pytest.mark.usefixtures("eager")
def test_after_a_week_the_page_says_the_refused_rows_are_gone(client, agency, flat, django_capture_on_commit_callbacks):
    job = job_of(
        agency, a_csv([[str(flat.pk), "123", "王强", "", days_ago(1), ""]]), django_capture_on_commit_callbacks
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        imports.import_jobs_purge()
        client.force_login(agency)
        html = client.get(job_url(job)).content.decode()
        download = client.get(csv_url(job))
    assert 'id="details-purged"' in html and 'id="rejected-download"' not in html
    assert download.status_code == 400 and "只保存 7 天" in download.content.decode()


def test_the_upload_page_lists_the_users_own_latest_jobs_in_a_fixed_number_of_queries(
    client, agency, flat, other_user, with_broker, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    mine = [job_of(agency, a_csv(good_rows(flat, 1)), django_capture_on_commit_callbacks, name=f"第{n}批.csv")
            for n in range(3)]  # fmt: skip
    theirs = job_of(other_user, a_csv(good_rows(flat, 1)), django_capture_on_commit_callbacks, name="别人的.csv")
    client.force_login(agency)
    with django_assert_max_num_queries(7):
        html = client.get(reverse("housing:import")).content.decode()
    assert [int(pk) for pk in re.findall(r'id="job-(\d+)"', html)] == [job.pk for job in reversed(mine)]
    assert "第2批.csv" in html and "等待处理" in html and theirs.original_name not in html
    for _ in range(12):
        job_of(agency, a_csv(good_rows(flat, 1)), django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(7):
        html = client.get(reverse("housing:import")).content.decode()
    assert len(re.findall(r'id="job-(\d+)"', html)) == 10


def test_a_wrong_file_is_shown_on_the_form_and_nothing_is_queued(client, agency, flat, with_broker):
    client.force_login(agency)
    response = post_file(client, PDF, "名单.xlsx")
    assert response.status_code == 400 and "不是表格" in response.content.decode()
    assert not ImportJob.objects.exists() and not with_broker.called


def test_an_upload_while_the_broker_is_down_is_kept_and_waits_in_the_queue(
    client, agency, flat, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    client.force_login(agency)
    with (
        mock.patch("housing.tasks.import_job_run.delay", side_effect=ConnectionError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_file(client, a_csv(good_rows(flat, 1)))
    job = ImportJob.objects.get(owner=agency)
    assert response.status_code == 302 and response["Location"] == job_url(job)
    assert job.status == "queued" and len(import_files()) == 1  # import_jobs_revive sends it again later


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_real_commits_a_job_runs_after_the_upload_and_a_refused_row_never_takes_the_good_rows_with_it(
    tashan_community, monkeypatch, settings
):
    # Committed two rows at a time, so that the refused row shares its transaction with a good one.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(imports, "COMMIT_EVERY", 2)
    agency = UserFactory()
    one_place = a_property(agency, tashan_community, caseworker_for(tashan_community.parent), max_occupants=1)
    people = [tenant() for _ in range(3)]
    other = a_property(agency, tashan_community, caseworker_for(tashan_community.parent), address="越东路 1 号 101 室")
    rows = [
        [str(one_place.pk), people[0][1], "陈明", "", days_ago(1), ""],
        [str(one_place.pk), people[1][1], "陈明", "", days_ago(1), ""],  # over capacity
        [str(other.pk), people[2][1], "陈明", "", days_ago(1), ""],
    ]
    job = imports.import_job_create(actor=agency, upload=upload(a_csv(rows)))  # runs on its commit
    job.refresh_from_db()
    assert (job.status, job.accepted, [e["row"] for e in job.errors]) == ("done", 2, [3])
    assert set(Tenancy.objects.values_list("tenant_id", flat=True)) == {people[0][0].pk, people[2][0].pk}
    assert OccupancyFlag.objects.filter(property=one_place).count() == 1
    assert import_files() == []
