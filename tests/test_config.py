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
