"""The public pages, the staff sign-in page, and the settings they rest on."""

import datetime
import json
import re
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from privacy.models import RetentionPolicy
from privacy.policy import rules
from tests.factories import BranchFactory, ProgramFactory

PUBLIC_PAGES = ["/", "/privacy/"]


class AssetCollector(HTMLParser):
    """The URLs a browser would fetch by itself to render the page."""

    ASSET_ATTRIBUTES = {
        "script": ("src",),
        "link": ("href",),
        "img": ("src", "srcset"),
        "iframe": ("src",),
        "source": ("src", "srcset"),
        "video": ("src", "poster"),
        "audio": ("src",),
    }

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.ASSET_ATTRIBUTES.get(tag, ()) and value:
                self.urls.append(value)


def asset_urls(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.urls


def is_external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))


def test_the_asset_check_spots_an_external_url():
    html = (
        '<link rel="stylesheet" href="/static/css/site.css">'
        '<script src="https://cdn.example.com/x.js"></script>'
        '<img src="//tracker.example.com/p.gif">'
        '<a href="https://example.com/">a plain link is not an asset</a>'
    )
    urls = asset_urls(html)
    assert urls == [
        "/static/css/site.css",
        "https://cdn.example.com/x.js",
        "//tracker.example.com/p.gif",
    ]
    assert [is_external(u) for u in urls] == [False, True, True]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_show_the_library_name(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert settings.CALUMET_LIBRARY_NAME in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_the_library_name_comes_from_the_settings(client, url):
    with override_settings(CALUMET_LIBRARY_NAME="Hegewisch Free Library"):
        html = client.get(url).content.decode()
    assert "Hegewisch Free Library" in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*PUBLIC_PAGES, "/admin/login/"])
def test_pages_load_nothing_from_other_sites(client, url):
    response = client.get(url)
    assert response.status_code == 200
    urls = asset_urls(response.content.decode())
    assert any(u.endswith(".css") for u in urls), "the page's own stylesheet was not found"
    assert [u for u in urls if is_external(u)] == []


@pytest.mark.django_db
def test_the_home_page_lists_branches_and_coming_programs(client):
    BranchFactory(name="Eastside Branch", address="2400 East 106th Street")
    ProgramFactory(name="Story time for toddlers")
    ProgramFactory(name="Quilting bee", starts_at=timezone.now() - datetime.timedelta(days=7))

    html = client.get("/").content.decode()

    assert "Eastside Branch" in html
    assert "2400 East 106th Street" in html
    assert "Story time for toddlers" in html
    assert "Quilting bee" not in html  # already happened


@pytest.mark.django_db
def test_public_pages_refuse_a_post(client):
    assert client.post("/privacy/").status_code == 405


# -- the retention table on the privacy page ---------------------------------------------


def retention_row(html: str, kind: str) -> str:
    match = re.search(rf'<tr id="retention-{kind}">(.*?)</tr>', html, re.DOTALL)
    assert match, f"no row for {kind!r} on the privacy page"
    return match.group(1)


@pytest.mark.django_db
def test_the_privacy_page_has_a_row_per_kind_of_record(client):
    html = client.get("/privacy/").content.decode()
    for rule in rules():
        row = retention_row(html, rule.kind)
        assert rule.label in row


@pytest.mark.django_db
def test_the_privacy_page_shows_the_defaults(client):
    html = client.get("/privacy/").content.decode()
    assert "2 years (730 days)" in retention_row(html, "patron")
    assert "Until the next nightly run" in retention_row(html, "loan")
    assert "5 years (1825 days)" in retention_row(html, "disclosure_request")


@pytest.mark.django_db
def test_the_privacy_page_shows_the_days_the_expunge_applies(client):
    RetentionPolicy.objects.filter(kind="patron").update(days=1095)
    RetentionPolicy.objects.filter(kind="loan").update(days=14)

    html = client.get("/privacy/").content.decode()

    patron_row = retention_row(html, "patron")
    assert "3 years" in patron_row
    assert "730" not in patron_row
    loan_row = retention_row(html, "loan")
    assert "14 days" in loan_row
    assert "nightly run" not in loan_row
    assert "14 days" not in retention_row(html, "hold")  # the other rows are untouched


@pytest.mark.django_db
def test_the_admin_sign_in_page_is_there(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


# -- settings ----------------------------------------------------------------------------


def test_passwords_and_pins_are_hashed_with_argon2_first():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def dotenv_sets(name: str) -> bool:
    dotenv = settings.BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    return any(
        re.match(rf"\s*(export\s+)?{name}\s*=\s*\S", line)
        for line in dotenv.read_text().splitlines()
    )


def import_settings(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    """Import calumet.settings in a fresh interpreter with only `env` set."""
    return subprocess.run(
        [sys.executable, "-c", f"import calumet.settings as s\n{code}"],
        cwd=settings.BASE_DIR,
        env={"PYTHONPATH": str(settings.BASE_DIR), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_secret_key(secret_key):
    env = {"DJANGO_DEBUG": "false"}
    if secret_key is None:
        if dotenv_sets("DJANGO_SECRET_KEY"):
            pytest.skip("a local .env sets DJANGO_SECRET_KEY (the 'empty' case still runs)")
    else:
        env["DJANGO_SECRET_KEY"] = secret_key

    result = import_settings(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_development_runs_without_a_secret_key():
    result = import_settings(
        {"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": ""}, "print(bool(s.SECRET_KEY))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def q_cluster_with(redis_url: str) -> dict:
    result = import_settings(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "not-a-real-secret",
            "CALUMET_REDIS_URL": redis_url,
        },
        "import json; print(json.dumps(s.Q_CLUSTER))",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_worker_uses_redis_when_configured():
    cluster = q_cluster_with("redis://127.0.0.1:6379/3")
    assert cluster["redis"] == "redis://127.0.0.1:6379/3"
    assert "orm" not in cluster


def test_the_worker_uses_the_database_by_default():
    cluster = q_cluster_with("")
    assert cluster["orm"] == "default"
    assert "redis" not in cluster
