# The image behind every application service in docker-compose.yml: web
# (the default command), producer, detector, worker and beat.
#
# Two stages: the first installs the pinned requirements into /venv; the
# second copies only that and the application, runs as an unprivileged user
# and has no compilers or pip caches. The base is pinned by tag and by the
# digest of its multi-architecture index; update both together (`docker
# buildx imagetools inspect python:3.11.N-slim-bookworm` prints the digest).

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/base.txt /tmp/requirements/base.txt
RUN python -m venv /venv \
 && /venv/bin/pip install -r /tmp/requirements/base.txt

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS runtime
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=fraudsite.settings
# LightGBM's wheel loads the OpenMP runtime, which the slim base lacks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=build /venv /venv
WORKDIR /app
COPY manage.py ./
COPY fraudsite/ fraudsite/
COPY transactions_app/ transactions_app/
COPY templates/ templates/
COPY static/ static/
# Static files are collected at build time, owned by root: the application
# user can read but not change its own code or assets.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
USER 10001:10001
EXPOSE 8000
# The web app's own check; compose gives the other processes theirs.
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["python", "-m", "fraudsite.healthcheck"]
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "fraudsite.asgi:application"]
