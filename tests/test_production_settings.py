"""The production settings are secure by default: they refuse a missing, short or published secret key, and
``check --deploy`` finds nothing to warn about with a real one. docker-compose.yml carries no key at all."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# What docker-compose.yml shipped as its default before it took the key from the environment only.
OLD_COMPOSE_KEY = "compose-local-only-secret-key-change-me-0123456789abcdefghij"


def run(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(DJANGO_SETTINGS_MODULE="tongzhirong.settings.production", DJANGO_ALLOWED_HOSTS="example.com")
    environment.update(env)
    environment = {k: v for k, v in environment.items() if v is not None}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


def load_settings(**env):
    return run(
        "-c",
        "import tongzhirong.settings.production as s; print(s.SECURE_HSTS_SECONDS, s.SILENCED_SYSTEM_CHECKS)",
        **env,
    )


def check_deploy(key, **env):
    return run("manage.py", "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=key, **env)


def test_check_deploy_is_clean_with_a_real_key():
    result = check_deploy(secrets.token_urlsafe(50))

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_refuses_the_key_docker_compose_used_to_ship():
    result = check_deploy(OLD_COMPOSE_KEY)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is a published placeholder key" in result.stderr
    assert OLD_COMPOSE_KEY not in result.stderr


@pytest.mark.parametrize(
    ("key", "refusal"),
    [
        (None, "Set the DJANGO_SECRET_KEY environment variable"),
        ("", "at least 50 random characters (it has 0)"),
        (secrets.token_urlsafe(30), "at least 50 random characters (it has 40)"),
        ("a" * 60, "at least 50 random characters (it has 60)"),
        ("insecure-local-only-key-change-me-in-production-0123456789", "published placeholder key"),
        ("changeme", "published placeholder key"),
        ("django-insecure-" + secrets.token_urlsafe(50), "published placeholder key"),
        ("please-CHANGE-ME-" + secrets.token_urlsafe(50), "published placeholder key"),
    ],
    ids=["missing", "empty", "short", "one-letter", "local-default", "changeme", "django-startproject", "marked"],
)
def test_the_production_settings_refuse_a_weak_key(key, refusal):
    result = load_settings(DJANGO_SECRET_KEY=key)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert refusal in result.stderr


def test_a_weak_fallback_key_is_refused_too():
    result = load_settings(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_SECRET_KEY_FALLBACKS=OLD_COMPOSE_KEY)

    assert "published placeholder key" in result.stderr


def test_hsts_is_a_year_with_subdomains_and_preload_unless_configured_otherwise():
    assert load_settings(DJANGO_SECRET_KEY=secrets.token_urlsafe(50)).stdout.split() == ["31536000", "[]"]


def test_a_deployment_that_opts_out_of_hsts_preload_says_so_and_check_deploy_stays_clean():
    key = secrets.token_urlsafe(50)
    env = {"DJANGO_SECURE_HSTS_PRELOAD": "false", "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"}

    result = check_deploy(key, **env)

    assert result.returncode == 0, result.stderr
    assert "identified no issues (2 silenced)" in result.stdout


def test_docker_compose_takes_the_key_from_the_environment_and_fails_without_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    key = compose["x-app"]["environment"]["DJANGO_SECRET_KEY"]

    assert key.startswith("${DJANGO_SECRET_KEY:?"), key
    assert OLD_COMPOSE_KEY not in (ROOT / "docker-compose.yml").read_text()
