"""An agency uploads a spreadsheet of move-ins: every row is accepted or reported back with its own error, and a
bad row never loses the good ones."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from housing import imports, services
from housing.choices import TenancySource, TenancyStatus
from housing.imports import RowError
from housing.models import OccupancyFlag, Property, Tenancy
from residents.models import ResidenceRegistration, Resident
from tests.casework import PDF, refused
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


# --- the pages ------------------------------------------------------------------------------------------


def post_file(client, content: bytes, name: str = "名单.csv"):  # type: ignore[no-untyped-def]
    return client.post(reverse("housing:import"), {"file": SimpleUploadedFile(name, content)})


def test_the_upload_page_asks_an_anonymous_visitor_to_sign_in(client):
    for url in (reverse("housing:import"), reverse("housing:import_template_csv")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("housing:import_rejected_csv"), {"token": "x"}).status_code == 302


def test_the_upload_page_offers_the_templates_and_the_instructions(client, agency, flat):
    client.force_login(agency)
    response = client.get(reverse("housing:import"))
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    assert reverse("housing:import_template_csv") in html and reverse("housing:import_template_xlsx") in html
    assert "设为“文本”格式" in html and 'id="no-verified-property"' not in html


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


def test_the_result_page_lists_each_refused_row_and_offers_its_csv(client, agency, flat):
    resident, number = tenant()
    client.force_login(agency)
    content = a_csv(
        [
            [str(flat.pk), number, "陈明", "", days_ago(1), ""],
            [str(flat.pk), "41282719900101123", "王强", "", "明天", ""],
        ]
    )
    response = post_file(client, content)
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    assert re.search(r'id="accepted-count"><strong>1</strong>', html)
    assert 'id="row-3"' in html and "第 3 行" in html
    assert (
        "<strong>身份证号</strong>：身份证号码应为 18 位" in html and "<strong>入住日期</strong>：请按 年-月-日" in html
    )
    assert "41282719900101123" not in html.split('name="token"')[0]  # the page shows the number masked
    assert Tenancy.objects.filter(tenant=resident, source=TenancySource.IMPORT).exists()

    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    download = client.post(reverse("housing:import_rejected_csv"), {"token": token})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row[2] for row in rows] == ["姓名", "王强"] and rows[0][-1] == "错误原因"


def test_the_rejected_rows_download_belongs_to_the_uploader_and_expires(client, agency, flat, other_user):
    client.force_login(agency)
    html = post_file(client, a_csv([[str(flat.pk), "123", "王强", "", days_ago(1), ""]])).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.force_login(other_user)
    assert client.post(reverse("housing:import_rejected_csv"), {"token": token}).status_code == 400
    client.force_login(agency)
    later = timezone.now() + datetime.timedelta(hours=2)
    with time_machine.travel(later):
        response = client.post(reverse("housing:import_rejected_csv"), {"token": token})
    assert response.status_code == 400 and "已过期" in response.content.decode()


def test_a_wrong_file_is_shown_on_the_form_and_nothing_is_imported(client, agency, flat):
    client.force_login(agency)
    response = post_file(client, PDF, "名单.xlsx")
    assert response.status_code == 400 and "不是表格" in response.content.decode()
    assert not Tenancy.objects.exists()


def test_the_upload_page_reads_a_fixed_number_of_queries(client, agency, flat, django_assert_max_num_queries):
    client.force_login(agency)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("housing:import")).status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_real_commits_a_refused_row_keeps_its_flag_and_never_takes_the_good_rows_with_it(
    tashan_community, monkeypatch
):
    # Committed two rows at a time, so that the refused row shares its transaction with a good one.
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
    result = run(agency, a_csv(rows))
    assert (result.accepted, [e.row for e in result.errors]) == (2, [3])
    assert set(Tenancy.objects.values_list("tenant_id", flat=True)) == {people[0][0].pk, people[2][0].pk}
    assert OccupancyFlag.objects.filter(property=one_place).count() == 1
