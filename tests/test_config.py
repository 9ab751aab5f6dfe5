from pathlib import Path

import pytest

from copernica_core.config import ConfigError, load_settings


def test_defaults_give_a_working_local_setup():
    settings = load_settings({}, secrets_files=[])
    assert settings.db_path == Path("data/copernica.db")
    assert settings.api_url == "https://api.copernica.com"
    assert settings.auth_url == "https://authenticate.copernica.com"
    assert settings.authorize_url == "https://www.copernica.com/en/authorize"
    assert settings.api_version == 4
    assert settings.redirect_uri == "http://localhost:8501/authorize"
    assert settings.key_file == Path("data/secret.key")


def test_environment_wins_over_streamlit_secrets(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('COPERNICA_API_VERSION = "3"\nCOPERNICA_DB = "from-secrets.db"\n')
    settings = load_settings({"COPERNICA_DB": "from-env.db"}, secrets_files=[secrets])
    assert settings.db_path == Path("from-env.db")
    assert settings.api_version == 3


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.5:8080", "ftp://localhost"])
def test_plain_http_is_refused_unless_loopback(url):
    with pytest.raises(ConfigError, match="COPERNICA_API_URL"):
        load_settings({"COPERNICA_API_URL": url}, secrets_files=[])


@pytest.mark.parametrize("url", ["http://localhost:8765", "http://127.0.0.2:1", "http://[::1]:80"])
def test_plain_http_is_accepted_on_loopback(url):
    assert load_settings({"COPERNICA_API_URL": url}, secrets_files=[]).api_url == url


def test_unknown_api_version_is_refused():
    with pytest.raises(ConfigError, match="COPERNICA_API_VERSION"):
        load_settings({"COPERNICA_API_VERSION": "5"}, secrets_files=[])


def test_broken_secrets_file_names_the_file(tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("this is = = not toml")
    with pytest.raises(ConfigError, match=r"secrets\.toml"):
        load_settings({}, secrets_files=[broken])


def test_a_role_list_inside_the_auth_section_is_named_not_silently_ignored(tmp_path):
    """TOML puts every key after `[auth]` into auth: COPERNICA_ADMINS there is not read, and
    nobody could get in without being told why."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('COPERNICA_VIEWERS = "@agency.example"\n[auth]\nclient_id = "x"\n'
                       'COPERNICA_ADMINS = "ann@agency.example"\n')
    settings = load_settings({}, secrets_files=[secrets])
    assert settings.admins == () and settings.viewers == ("@agency.example",)
    [warning] = settings.warnings
    assert "COPERNICA_ADMINS" in warning and "[auth]" in warning


def test_settings_may_stand_in_a_copernica_section(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nclient_id = "x"\n[copernica]\nCOPERNICA_ADMINS = "ann@agency.example"\n')
    settings = load_settings({}, secrets_files=[secrets])
    assert settings.admins == ("ann@agency.example",) and settings.warnings == ()


def test_the_secrets_file_is_never_committed():
    """It holds the sign-in client secret and cookie secret."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=root, check=False)
    assert ignored.returncode == 0
