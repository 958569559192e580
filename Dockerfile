# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext provides msgfmt for compilemessages; fonts-noto-cjk the font the filing package's PDF is set in
# (FILING_PDF_FONT; its serif faces are not used). psycopg[binary] ships its own libpq and every other
# dependency has a manylinux wheel, so no compiler is needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext fonts-noto-cjk \
 && rm -f /usr/share/fonts/opentype/noto/NotoSerifCJK-* \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Translations and static files are build artefacts. collectstatic runs under the production settings
# because their manifest storage must write the hashed names that production serves; those settings
# insist on a strong secret key and allowed hosts: a random key made for this step alone, never stored in the
# image (run time takes DJANGO_SECRET_KEY from the environment).
RUN DJANGO_SETTINGS_MODULE=tongzhirong.settings.base \
    python manage.py compilemessages --ignore=.venv -v0 \
 && DJANGO_SETTINGS_MODULE=tongzhirong.settings.production \
    DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v0

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/media \
 && chown app /app/media
USER app

ENV DJANGO_SETTINGS_MODULE=tongzhirong.settings.production
EXPOSE 8000
# No control socket: nothing here uses gunicornc, and the home directory of "app" is not writable.
CMD ["gunicorn", "tongzhirong.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "--no-control-socket"]
