# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.base
WORKDIR /app

COPY bin/install-system-packages bin/install-system-packages
RUN bash bin/install-system-packages && rm -rf /var/lib/apt/lists/*

COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
RUN DJANGO_SECRET_KEY=build-only DATABASE_URL=postgresql://build@localhost/build \
    python manage.py collectstatic --no-input \
    && useradd --system --uid 10001 ketnghia && mkdir -p /srv/ketnghia/media && chown ketnghia /srv/ketnghia/media
USER ketnghia
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
