"""Bad input is a 4xx naming the problem, never a 500: bodies too deep or too large, methods not allowed."""
import json

from gisapp import create_app


def test_json_nested_too_deeply_is_a_400_even_unauthenticated(client):
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    answer = client.post("/api/auth/token", data=deep, content_type="application/json")
    assert answer.status_code == 400, answer.json
    assert answer.json["status"] == 400


def test_a_body_over_the_configured_limit_is_a_413(db_url, tmp_path):
    app = create_app({"database_url": db_url, "secret_key": "test-secret", "var_dir": str(tmp_path / "var"),
                      "max_request_mb": 0.01})
    big = json.dumps({"login": "x" * 20_000, "password": "y"})
    answer = app.test_client().post("/api/auth/token", data=big, content_type="application/json")
    assert answer.status_code == 413, answer.data
    assert answer.json["status"] == 413


def test_a_method_not_allowed_says_which_are(client):
    answer = client.open("/api/disputes", method="TRACE")
    assert answer.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["Allow"].split(",")}


# -- exports are data, not formulas ----------------------------------------------------------------

FORMULA = '=HYPERLINK("http://x","click")'


def _formula_dispute(engine):
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from gisapp import accounts
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO dispute (code, category, summary, parties, grade, status, source, received_at, "
                          "due_at, geom) VALUES ('MDX1', 'land', :f, '+8613800000000', 'ordinary', 'handling', "
                          "'police', now(), now(), ST_SetSRID(ST_MakePoint(114.5, 34.6), 4326))"), {"f": FORMULA})
    with Session(engine) as session:
        accounts.create_user(session, "chief", "password-1", "center", None)
        session.commit()


def test_csv_and_excel_exports_neutralise_formulas(engine, client):
    import csv
    import io

    import openpyxl
    _formula_dispute(engine)
    token = client.post("/api/auth/token", json={"login": "chief", "password": "password-1"}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get("/api/disputes?format=csv", headers=headers)
    assert answer.headers["Cache-Control"] == "no-store"  # parties and phones: no cache on the way keeps them
    exported = answer.data.decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(exported)))
    assert row["摘要 Summary"] == "'" + FORMULA and row["当事人 Parties"] == "'+8613800000000"
    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/api/disputes?format=xlsx", headers=headers).data)).active
    cells = [c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells), "text, not a formula"


def test_a_layer_export_keeps_formulas_out_and_imports_back_the_same(engine, settings, tmp_path):
    from sqlalchemy import text

    from gisapp.io.export import export_layer
    from gisapp.io.load import import_file
    _formula_dispute(engine)
    path = tmp_path / "disputes.csv"
    export_layer(engine, "disputes", path)
    assert "'" + FORMULA.replace('"', '""') in path.read_text(encoding="utf-8-sig")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM dispute"))
    import_file(engine, "disputes", path, settings, progress=False)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT summary, parties FROM dispute")).one() == (FORMULA, "+8613800000000")


def test_the_audit_log_keeps_no_personal_value_of_a_query_string(engine):
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from gisapp import accounts, audit
    from gisapp.auth import SignedInUser
    with Session(engine) as session:
        user = SignedInUser.of(accounts.create_user(session, "chief", "password-1", "center", None))
        session.commit()
        audit.log_views(session, user, "disputes", ["D1"], "/api/disputes?parties_phone=13800000000&grade=complex")
    with engine.connect() as conn:
        via = conn.execute(text("SELECT via FROM audit_log")).scalar()
    assert "13800000000" not in via and "grade=complex" in via


def test_a_database_that_is_down_is_a_503_to_try_again(app):
    from sqlalchemy.exc import OperationalError

    @app.route("/api/test-database-down")
    def down():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))
    answer = app.test_client().get("/api/test-database-down")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json["message"].startswith("database unreachable")


def test_identify_takes_each_layer_once_and_a_bounded_list(own_demo):
    """One layer named 400 times is looked at (and its personal views audited) once; more distinct
    names than any catalogue holds is a 400 naming the field."""
    from sqlalchemy import text
    with own_demo.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM dispute ORDER BY code LIMIT 1")).one()
    client, center = own_demo.client, own_demo.headers("center")
    url = f"/api/identify?lon={lon}&lat={lat}&zoom=18&layers=" + ",".join(["disputes"] * 400)
    answer = client.get(url, headers=center)
    assert answer.status_code == 200, answer.json
    assert [layer["id"] for layer in answer.json["layers"]] == ["disputes"]
    shown = len(answer.json["layers"][0]["features"])
    with own_demo.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == shown
    many = ",".join(f"layer{i}" for i in range(65))
    refused = client.get(f"/api/identify?lon={lon}&lat={lat}&layers={many}", headers=center)
    assert refused.status_code == 400 and refused.json["field"] == "layers", refused.json
