"""The periodic report (gisapp report, /report) against the demo town: its figures are the API's, the PDF
opens with Chinese text in it, the workbook has a sheet per section, bad input is refused, and the page
keeps to its roles. The shared demo is only read (its guard checks)."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from gisapp import clock, domain
from gisapp.cli import main as cli_main
from gisapp.config import DEFAULTS, load_settings
from gisapp.report.data import period_bounds, previous_bounds
from gisapp.settings_check import ConfigError

OUTPUT = Path(__file__).parent / "output"
CST = dt.timezone(dt.timedelta(hours=8))
# The demo's disputes run up to 2026-11-20 18:00; the clock stands two days later.
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CST)
END = "2026-11-20"
VILLAGES = ("410299101001", "410299101003")
S, F, C, T = domain.REPORT_SECTIONS, domain.DISPUTE_FIGURES, domain.REPORT_COLUMNS, domain.REPORT_TEXT


@pytest.fixture(scope="module")
def fixed_now():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: NOW)
        yield NOW


@pytest.fixture
def run(demo_url, tmp_path, fixed_now):
    """``gisapp ...`` against the shared demo (read only)."""
    runner = CliRunner()
    env = {"DATABASE_URL": demo_url, "GISAPP_VAR_DIR": str(tmp_path / "var")}
    return lambda *args, **extra: runner.invoke(cli_main, list(args), env={**env, **extra})


@pytest.fixture(scope="module")
def made(demo_url, tmp_path_factory, fixed_now):
    """The monthly report up to END, for the whole town (PDF and Excel) and for two villages (Excel)."""
    folder = tmp_path_factory.mktemp("reports")
    env = {"DATABASE_URL": demo_url, "GISAPP_VAR_DIR": str(folder / "var")}
    files = {"pdf": folder / "month.pdf", "xlsx": folder / "month.xlsx", "villages": folder / "villages.xlsx"}
    runner = CliRunner()
    for key, path in files.items():
        args = ["report", "--period", "month", "--end", END, "--out", str(path)]
        if key == "villages":
            args += [arg for code in VILLAGES for arg in ("--village", code)]
        result = runner.invoke(cli_main, args, env=env)
        assert result.exit_code == 0, result.output
        assert f"written to {path}" in result.output
    return files


def rows(book, section: str) -> list[tuple]:
    return list(book[S[section][:31]].iter_rows(values_only=True))


def table(book, section: str) -> dict:
    """A sheet as {first column: {header: value}} (its note, under the table, left out)."""
    header, *body = rows(book, section)
    return {row[0]: dict(zip(header, row)) for row in body
            if row[0] is not None and any(v is not None for v in row[1:])}


def figures(client, headers, start: dt.date, stop: dt.date, **query) -> dict:
    answer = client.get("/api/disputes/figures", query_string={"from": start.isoformat(), "to": stop.isoformat(),
                                                               **query}, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


# -- periods ----------------------------------------------------------------------------------

def test_periods_end_on_the_day_given_and_the_previous_one_is_as_long():
    day = dt.date(2026, 11, 20)
    assert period_bounds("week", day) == (dt.date(2026, 11, 14), dt.date(2026, 11, 21))
    assert period_bounds("month", day) == (dt.date(2026, 10, 21), dt.date(2026, 11, 21))
    assert period_bounds("quarter", day) == (dt.date(2026, 8, 21), dt.date(2026, 11, 21))
    # Ending on a month's or a quarter's last day gives that calendar month or quarter.
    assert period_bounds("month", dt.date(2026, 10, 31)) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
    assert period_bounds("quarter", dt.date(2026, 9, 30)) == (dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    assert period_bounds("month", dt.date(2026, 3, 30)) == (dt.date(2026, 2, 28), dt.date(2026, 3, 31))
    start, stop = period_bounds("month", day)
    before = previous_bounds(start, stop)
    assert before[1] == start and before[1] - before[0] == stop - start


def test_the_camera_target_is_configuration():
    assert DEFAULTS["report"]["camera_online_target"] == 0.98
    assert load_settings({"report": {"camera_online_target": 0.95}})["report"]["camera_online_target"] == 0.95
    with pytest.raises(ConfigError, match="report.camera_online_target: must be a share from 0 to 1"):
        load_settings({"report": {"camera_online_target": 98}})


# -- the figures are the API's ----------------------------------------------------------------

def test_the_reports_dispute_figures_are_the_apis(made, demo_client, tokens):
    book = openpyxl.load_workbook(made["xlsx"])
    start, stop = period_bounds("month", dt.date.fromisoformat(END))
    now = figures(demo_client, tokens["center"], start, stop)["total"]
    before = figures(demo_client, tokens["center"], *previous_bounds(start, stop))["total"]
    assert now["received"] > 0 and before["received"] > 0  # the demo has disputes in both periods
    shown = table(book, "disputes")
    for key, label in F.items():
        assert shown[label][C["current"]] == now[key], key
        assert shown[label][C["previous"]] == before[key], key
        assert shown[label][C["change"]] == pytest.approx(now[key] - before[key]), key
    grades = table(book, "grades")
    for grade, label in domain.DISPUTE_GRADES.items():
        assert (grades[label][C["current"]], grades[label][C["previous"]]) == (now["by_grade"][grade],
                                                                               before["by_grade"][grade])
    categories = table(book, "categories")
    labels = load_settings()["dispute_categories"]
    for category, label in labels.items():
        assert categories[label][C["current"]] == now["by_category"].get(category, 0), category
        assert categories[label][C["previous"]] == before["by_category"].get(category, 0), category
    # Per village: the API's rows; villages without disputes in the period show zeros.
    by_village = {r["code"]: r for r in figures(demo_client, tokens["center"], start, stop, by="village")["rows"]}
    shown = table(book, "villages")
    assert len(shown) == 14
    for code, row in shown.items():
        api = by_village.get(code, {"received": 0, "closed": 0, "open": 0, "overdue": 0})
        assert [row[F[k]] for k in ("received", "closed", "open", "overdue")] == \
            [api[k] for k in ("received", "closed", "open", "overdue")], code
    summary = table(book, "summary")
    assert summary[domain.REPORT_TEXT["this_period"]][C["value"]] == "2026-10-21 – 2026-11-20"
    assert summary[domain.REPORT_TEXT["previous_period"]][C["value"]] == "2026-09-20 – 2026-10-20"
    assert summary[domain.REPORT_TEXT["generated"]][C["value"]] == "2026-11-22 10:00"  # in the configured zone


def test_the_backlog_at_the_periods_end_counts_every_open_dispute(made, demo_client, tokens):
    """Open at the period's end (midnight after END, before NOW), whenever received; and those past due then:
    counted here from every dispute the API lists, for this period and the one before."""
    listed = demo_client.get("/api/disputes?limit=1000", headers=tokens["viewer"]).json  # no parties: no audit
    assert listed["numberMatched"] == len(listed["disputes"])
    shown = table(openpyxl.load_workbook(made["xlsx"]), "disputes")
    start, stop = period_bounds("month", dt.date.fromisoformat(END))
    for column, end in ((C["current"], stop), (C["previous"], start)):
        asof = dt.datetime.combine(end, dt.time(), CST)
        still = [d for d in listed["disputes"] if dt.datetime.fromisoformat(d["received_at"]) < asof
                 and (d["closed_at"] is None or dt.datetime.fromisoformat(d["closed_at"]) > asof)]
        late = [d for d in still if dt.datetime.fromisoformat(d["due_at"]) < asof]
        assert shown[T["backlog_open"]][column] == len(still) > 0, column
        assert shown[T["backlog_overdue"]][column] == len(late), column
    assert shown[T["backlog_open"]][C["current"]] > shown[F["open"]][C["current"]], "more than the period's own"


def test_a_report_of_some_villages_adds_up_the_apis_figures_of_each(made, demo_client, tokens):
    book = openpyxl.load_workbook(made["villages"])
    start, stop = period_bounds("month", dt.date.fromisoformat(END))
    each = [figures(demo_client, tokens["center"], start, stop, village=code)["total"] for code in VILLAGES]
    shown = table(book, "disputes")
    for key in ("received", "closed", "open", "overdue"):
        assert shown[F[key]][C["current"]] == sum(t[key] for t in each), key
    received = sum(t["received"] for t in each)
    assert shown[F["resolution_rate"]][C["current"]] == pytest.approx(sum(t["closed"] for t in each) / received,
                                                                       abs=1e-4)
    assert set(table(book, "villages")) == set(VILLAGES)
    assert set(table(book, "nets_villages")) == set(VILLAGES)
    assert table(book, "summary")[domain.REPORT_TEXT["area"]][C["value"]] == "东庄村、李楼村"


def test_hot_spots_and_flagged_grids_are_the_apis(made, demo_client, tokens, run, tmp_path):
    # the month has fewer disputes than hot spots need (hotspot_min_disputes): none, and the report says why
    book = openpyxl.load_workbook(made["xlsx"])
    start, stop = period_bounds("month", dt.date.fromisoformat(END))
    month = demo_client.get("/api/disputes/hotspots", headers=tokens["center"], query_string={
        "from": start.isoformat(), "to": stop.isoformat(), "significant": "true"}).json
    assert month["features"] == [] and 0 < month["disputes"] < month["min_disputes"] == 30
    too_few = T["too_few_disputes"].format(n=month["disputes"], least=30)
    assert any(too_few in str(cell) for row in rows(book, "hotspots") for cell in row)
    # the quarter has enough: the report's hot spots are the API's
    assert run("report", "--period", "quarter", "--end", END, "--out", str(tmp_path / "q.xlsx")).exit_code == 0
    start, stop = period_bounds("quarter", dt.date.fromisoformat(END))
    answer = demo_client.get("/api/disputes/hotspots", headers=tokens["center"], query_string={
        "from": start.isoformat(), "to": stop.isoformat(), "significant": "true"})
    expected = {(f["properties"]["code"], domain.HOTSPOT_CLASSES[f["properties"]["class"]])
                for f in answer.json["features"]}
    header, *body = rows(openpyxl.load_workbook(tmp_path / "q.xlsx"), "hotspots")
    shown = {(r[header.index(C["grid_code"])], r[header.index(C["class"])]) for r in body if r[1]}
    assert shown == expected and expected
    header, *body = rows(book, "flagged")
    for period in ("day", "night"):
        api = demo_client.get(f"/api/coverage/grids?period={period}&flagged=true", headers=tokens["center"]).json
        listed = {r[header.index(C["grid_code"])] for r in body if r[0] == domain.REPORT_TEXT[period]}
        assert listed == {g["grid_code"] for g in api["grids"]}, period


def test_the_nets_state_against_the_target(made, demo_client, tokens):
    shown = table(openpyxl.load_workbook(made["xlsx"]), "nets")
    nets = {label: row[C["value"]] for label, row in shown.items()}
    N = domain.NET_FIGURES
    cameras = demo_client.get("/api/collections/cameras/items?limit=1000", headers=tokens["center"]).json["features"]
    in_service = [c for c in cameras if c["properties"]["status"] != "planned"]
    online = [c for c in cameras if c["properties"]["status"] == "online"]
    assert (nets[N["cameras_in_service"]], nets[N["cameras_online"]]) == (len(in_service), len(online))
    assert nets[N["camera_online_rate"]] == pytest.approx(len(online) / len(in_service), abs=1e-4)
    assert nets[N["camera_target"]] == 0.98
    assert nets[N["camera_target_met"]] == domain.TARGET_MET[len(online) / len(in_service) >= 0.98]
    assert nets[N["routes_day"]] > nets[N["routes_night"]] > 0


# -- the files ---------------------------------------------------------------------------------

def test_the_workbook_has_a_sheet_per_section_with_the_vocabularys_headers(made):
    book = openpyxl.load_workbook(made["xlsx"])
    assert book.sheetnames == [label[:31] for label in S.values()]
    assert rows(book, "disputes")[0] == (C["item"], C["current"], C["previous"], C["change"])
    assert rows(book, "flagged")[0][:3] == (C["period"], C["village"], C["grid_code"])
    assert rows(book, "hotspots")[0][-1] == C["class"]
    assert book[S["map"]]._images, "the map sheet has the map's picture"
    reasons = {r[rows(book, "flagged")[0].index(C["reasons"])] for r in rows(book, "flagged")[1:] if r[1]}
    assert any("有盲区 gap" in r for r in reasons)  # reasons by their labels, not their codes
    assert not any("share_below_target" in r for r in reasons)


def test_the_pdf_opens_with_chinese_text_and_the_figures(made, demo_client, tokens):
    reader = PdfReader(made["pdf"])
    assert len(reader.pages) >= 4
    first = reader.pages[0].extract_text()
    assert "平安镇" in first and "月报 monthly" in first and "矛盾纠纷" in first and "化解率" in first
    start, stop = period_bounds("month", dt.date.fromisoformat(END))
    total = figures(demo_client, tokens["center"], start, stop)["total"]
    assert f"{total['resolution_rate'] * 100:.1f}%" in first
    assert "雪亮工程目标" in first and "98.0%" in first
    everything = "".join(page.extract_text() for page in reader.pages)
    for label in (S["map"], S["flagged"], S["hotspots"], "有盲区 gap", "疑难 difficult"):
        assert label in everything, label
    assert reader.metadata.title.startswith("平安镇")


def test_a_picture_of_the_pdfs_pages(demo_url, fixed_now):
    """The PDF's first two pages drawn as PNG too (the same figures as the PDF's), under tests/output/."""
    from sqlalchemy import create_engine

    from gisapp import report
    from gisapp.report.pdf import write_pdf
    settings = load_settings({"database_url": demo_url})
    engine = create_engine(demo_url)
    try:
        with engine.connect() as conn:
            request = report.check_request(conn, settings, NOW, "month", END, [])
            made = report.gather(conn, settings, request, NOW)
    finally:
        engine.dispose()
    OUTPUT.mkdir(exist_ok=True)
    pictures = {1: OUTPUT / "report-page-1.png", 2: OUTPUT / "report-page-2-map.png"}
    buffer = io.BytesIO()
    write_pdf(made, buffer, report.cjk_font(), preview=lambda n, fig: n in pictures and fig.savefig(
        pictures[n], dpi=110, facecolor="white"))
    assert all(p.stat().st_size > 20_000 for p in pictures.values())
    assert PdfReader(io.BytesIO(buffer.getvalue())).pages[0].extract_text().startswith("平安镇")


# -- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, option, says", [
    (["--village", "410299101999"], "--village", "no village with the code '410299101999'"),
    (["--village", "not-a-code"], "--village", "12-digit code"),
    (["--period", "year"], "--period", "'year' is not one of 'week', 'month', 'quarter'"),
    (["--end", "2026/11/20"], "--end", "must be a date as YYYY-MM-DD"),
    (["--end", "20-11-2026"], "--end", "must be a date as YYYY-MM-DD"),
    (["--end", "2026-11-31"], "--end", "must be a date as YYYY-MM-DD"),
    (["--end", "2026-12-01"], "--end", "must not be after today (2026-11-22)"),
])
def test_bad_input_is_refused_naming_the_option_and_nothing_is_written(run, tmp_path, args, option, says):
    out = tmp_path / "out" / "report.pdf"
    out.parent.mkdir()
    result = run("report", "--period", "week", *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert option in result.output and says in result.output
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("name", ["report.docx", "report", "report.pdf.txt"])
def test_an_out_file_of_another_kind_is_refused(run, tmp_path, name):
    result = run("report", "--out", str(tmp_path / name))
    assert result.exit_code == 2 and "--out" in result.output and "must end in .pdf or .xlsx" in result.output
    assert [p for p in tmp_path.iterdir() if p.name != "var"] == []


def test_no_cjk_font_is_a_clear_error(run, tmp_path):
    out = tmp_path / "report.pdf"
    result = run("report", "--out", str(out), GISAPP_REPORT='{"font": "No Such Font"}')
    assert result.exit_code == 1
    assert "report.font" in result.output and "fonts-noto-cjk" in result.output and "No Such Font" in result.output
    assert not out.exists()
    # A workbook is still written: its map sheet says why there is no map.
    book = tmp_path / "report.xlsx"
    assert run("report", "--out", str(book), GISAPP_REPORT='{"font": "No Such Font"}').exit_code == 0
    assert "fonts-noto-cjk" in openpyxl.load_workbook(book)[S["map"]]["A1"].value


def test_the_default_period_is_the_week_up_to_today(run, tmp_path):
    out = tmp_path / "week.xlsx"
    result = run("report", "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = table(openpyxl.load_workbook(out), "summary")
    assert summary[domain.REPORT_TEXT["this_period"]][C["value"]] == "2026-11-16 – 2026-11-22"
    assert summary[domain.REPORT_TEXT["form_period"]][C["value"]] == domain.REPORT_PERIODS["week"]


# -- the page ----------------------------------------------------------------------------------

def test_the_page_is_for_the_roles_that_read_coverage(demo_client, tokens, fixed_now):
    assert demo_client.get("/report").status_code == 302  # to the sign-in page
    assert demo_client.get("/report", headers=tokens["viewer"]).status_code == 403
    assert demo_client.get("/report/download?period=week&format=xlsx", headers=tokens["viewer"]).status_code == 403
    for role in ("center", "team_leader", "planner", "grid_worker"):
        page = demo_client.get("/report", headers=tokens[role])
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        assert domain.REPORT_TEXT["page_title"] in html and domain.REPORT_PERIODS["quarter"] in html
        assert "东庄村" in html and 'max="2026-11-22"' in html

    def home(role: str) -> str:
        return demo_client.get("/", headers=tokens[role]).get_data(as_text=True)
    assert domain.REPORT_TEXT["page_title"] in home("center") and "/report" in home("grid_worker")
    assert domain.REPORT_TEXT["page_title"] not in home("viewer")


def test_the_page_downloads_the_report(demo_client, tokens, fixed_now):
    answer = demo_client.get("/report/download", headers=tokens["center"], query_string={
        "period": "month", "end": END, "format": "pdf", "village": VILLAGES[0]})
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == \
        f'attachment; filename="report-month-{END}-{VILLAGES[0]}.pdf"'
    assert "东庄村" in PdfReader(io.BytesIO(answer.data)).pages[0].extract_text()
    answer = demo_client.get("/report/download", headers=tokens["grid_worker"], query_string={
        "period": "week", "end": END, "format": "xlsx"})
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert openpyxl.load_workbook(io.BytesIO(answer.data)).sheetnames[0] == S["summary"]


@pytest.mark.parametrize("query, field", [
    ({"period": "day", "format": "pdf"}, "period"),
    ({"period": "week", "format": "doc"}, "format"),
    ({"period": "week", "format": "pdf", "end": "2026.11.20"}, "end"),
    ({"period": "week", "format": "pdf", "village": "410299101999"}, "village"),
    ({"period": "week", "format": "pdf", "village": "\x00"}, "village"),
])
def test_the_page_refuses_bad_input_naming_the_field(demo_client, tokens, fixed_now, query, field):
    answer = demo_client.get("/report/download", headers=tokens["center"], query_string=query)
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert f"({field}):" in answer.get_data(as_text=True)
