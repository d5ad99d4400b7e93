"""Configuration is checked at start-up: unknown keys and wrong types stop it, naming the source and key."""
import pytest

from gisapp.config import DEFAULTS, ConfigError, load_settings


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    """Write a gisapp.toml (GISAPP_CONFIG points at it) with the given text."""
    path = tmp_path / "gisapp.toml"
    monkeypatch.setenv("GISAPP_CONFIG", str(path))

    def write(text: str):
        path.write_text(text, encoding="utf-8")
    return write


def test_defaults_load_and_pass_their_own_check():
    settings = load_settings()
    assert settings["coverage"]["target_share"] == DEFAULTS["coverage"]["target_share"]
    assert settings["log_level"] == "INFO" and settings["log_json"] is False


def test_a_good_file_is_merged_into_the_defaults(config_file):
    config_file('log_level = "DEBUG"\n[coverage]\ntarget_share = 0.7\nnight = "22:30"\n'
                '[basemap]\ntype = "local"\nurl = "/static/tiles/{z}/{x}/{y}.png"\nmax_zoom = 17\n'
                '[dispute_categories]\nwater = "用水纠纷 water"\n[patrol.class_speed_factor]\nfoot = { track = 0.9 }\n')
    settings = load_settings()
    assert settings["coverage"]["target_share"] == 0.7 and settings["coverage"]["day"] == "10:00"
    assert settings["coverage"]["night"] == "22:30" and settings["log_level"] == "DEBUG"
    assert settings["basemap"]["max_zoom"] == 17 and settings["dispute_categories"] == {"water": "用水纠纷 water"}
    assert settings["patrol"]["class_speed_factor"]["foot"] == {"track": 0.9}


@pytest.mark.parametrize("text, message", [
    ('[coverage]\ntarget_share = "high"\n', "gisapp.toml: coverage.target_share: must be a number, got 'high'"),
    ('[coverage]\ntarget_share = 1.5\n', "gisapp.toml: coverage.target_share: must be a share from 0 to 1"),
    ('[coverage]\ntarget = 0.5\n', "gisapp.toml: coverage.target: unknown key; known keys: min_gap_m2"),
    ('colour = "red"\n', "gisapp.toml: colour: unknown key"),
    ('[coverage]\nday = "25:00"\n', "gisapp.toml: coverage.day: must be a time of day as HH:MM, got '25:00'"),
    ('[coverage]\nroad_buffer_m = -5\n', "gisapp.toml: coverage.road_buffer_m: must be 0 or more"),
    ('[dispute_due_days]\ncomplex = 7.5\n', "gisapp.toml: dispute_due_days.complex: must be a whole number, got 7.5"),
    ('[sight_width_m]\nhorse = 30\n', "gisapp.toml: sight_width_m.horse: unknown key"),
    ('[sight_width_m]\nfoot = true\n', "gisapp.toml: sight_width_m.foot: must be a number, got True"),
    ('log_json = "yes"\n', "gisapp.toml: log_json: must be true or false, got 'yes'"),
    ('log_level = "LOUD"\n', "gisapp.toml: log_level: must be one of DEBUG, INFO, WARNING, ERROR"),
    ('timezone = "Mars/Olympus"\n', "gisapp.toml: timezone: must be a time zone name"),
    ('coverage = 3\n', "gisapp.toml: coverage: must be a table, got 3"),
    ('[basemap]\ntype = "local"\nurl = 5\n', "gisapp.toml: basemap.url: must be text, got 5"),
    ('[dispute_categories]\nwater = 1\n', "gisapp.toml: dispute_categories.water: must be text, got 1"),
    ('log_level = \n', "gisapp.toml: not valid TOML"),
    ('[patrol.class_speed_factor]\nfoot = { runway = 1.0 }\n',
     "gisapp.toml: patrol.class_speed_factor.foot.runway: unknown key; known keys: trunk"),
    ('[patrol.class_speed_factor]\nfoot = { track = "slow" }\n',
     "gisapp.toml: patrol.class_speed_factor.foot.track: must be a number"),
])
def test_a_bad_file_names_the_key(config_file, text, message):
    config_file(text)
    with pytest.raises(ConfigError) as failure:
        load_settings()
    assert str(failure.value).startswith(message)


@pytest.mark.parametrize("name, raw, message", [
    ("GISAPP_COVERAGE", '{"target_share": "high"}', "GISAPP_COVERAGE: coverage.target_share: must be a number"),
    ("GISAPP_COVERAGE", '{"nite": "23:00"}', "GISAPP_COVERAGE: coverage.nite: unknown key"),
    ("GISAPP_LOG_JSON", "yes", "GISAPP_LOG_JSON: must be JSON"),
    ("GISAPP_LOG_LEVEL", "loud", "GISAPP_LOG_LEVEL: log_level: must be one of"),
])
def test_environment_overrides_go_through_the_same_check(monkeypatch, name, raw, message):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_environment_overrides_merge_into_tables(monkeypatch):
    monkeypatch.setenv("GISAPP_COVERAGE", '{"target_share": 0.5}')
    monkeypatch.setenv("GISAPP_LOG_JSON", "true")
    settings = load_settings()
    assert settings["coverage"]["target_share"] == 0.5 and settings["coverage"]["night"] == "23:00"
    assert settings["log_json"] is True


def test_overrides_are_checked_too():
    with pytest.raises(ConfigError, match="settings: coverage.day: must be text, got 10"):
        load_settings({"coverage": {"day": 10}})


def test_the_command_reports_a_bad_configuration_in_one_line(config_file):
    from click.testing import CliRunner

    from gisapp.cli import main
    config_file('[coverage]\ntarget_share = "high"\n')
    result = CliRunner().invoke(main, ["db", "status"])
    assert result.exit_code == 1
    assert "gisapp.toml: coverage.target_share: must be a number, got 'high'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("key, value", [("auth", {"token_days": 0}), ("auth", {"max_failures_per_login": 0}),
                                        ("max_request_mb", 0)])
def test_limits_that_would_lock_everyone_out_are_refused(key, value):
    with pytest.raises(ConfigError, match=key):
        load_settings({key: value})
