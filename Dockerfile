# 越安家 (Yuean) — one image for the web process, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    YUEAN_PRIVATE_MEDIA_ROOT=/var/lib/yuean/private_media \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 1000 yuean \
    && useradd --system --uid 1000 --gid yuean --home-dir /app --shell /usr/sbin/nologin yuean

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected with production settings so that whitenoise's manifest exists (with
# DJANGO_DEBUG=true no manifest is written and every {% static %} fails at run time). The keys below
# exist only for this build step; the running containers get real ones from .env.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY=build-only-collectstatic-not-a-secret-0123456789abcdefghijklmnop \
    YUEAN_PII_KEYS=YnVpbGQtb25seS1jb2xsZWN0c3RhdGljLWtleS0wMDA= \
    YUEAN_PII_HASH_KEY=build-only-collectstatic-hash-key-not-a-secret \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --no-input \
    && mkdir -p "$YUEAN_PRIVATE_MEDIA_ROOT" \
    && chown -R yuean:yuean "$YUEAN_PRIVATE_MEDIA_ROOT"

USER yuean

EXPOSE 8000

# gunicorn reads its number of worker processes from WEB_CONCURRENCY. TLS ends at the reverse proxy in
# front, which must send X-Forwarded-Proto (settings.SECURE_PROXY_SSL_HEADER).
CMD ["gunicorn", "yuean.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
