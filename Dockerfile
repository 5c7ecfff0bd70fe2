# The aidnews image: `docker build -t aidnews .`, then see docker-compose.yml and docs/deploy.md.
#
# Two stages. The builder has compilers (for any dependency that ships no wheel for this platform) and
# installs exactly the versions and hashes in requirements.lock into a virtual environment, then aidnews
# itself without dependencies. The final stage copies only that environment onto a slim Python: no compiler,
# no pip cache, no build tools. It runs as the unprivileged user `aidnews`, who owns /data and nothing else
# (the code and the environment stay root's, read-only to the service).

FROM python:3.11-slim AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
COPY pyproject.toml README.md scheduler.py /src/
COPY crawler /src/crawler
COPY etl /src/etl
COPY aidnews /src/aidnews
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps /src


FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite:////data/aidnews.db \
    AIDNEWS_SOURCES=/app/sources.toml
RUN groupadd --system --gid 10001 aidnews \
    && useradd --system --uid 10001 --gid aidnews --home-dir /data --no-create-home --shell /usr/sbin/nologin aidnews \
    && install -d -o aidnews -g aidnews -m 0750 /data
COPY --from=builder /opt/venv /opt/venv
COPY sources.toml scripts/healthcheck.py /app/
WORKDIR /app
USER aidnews
# The service stops on SIGTERM: no new jobs, the crawl is asked to stop (killed 20 s later), the ETL batch in
# flight finishes. Give it more than 30 s (docker-compose.yml: stop_grace_period 45s; `docker stop -t 45`).
STOPSIGNAL SIGTERM
# Healthy while this container's scheduler writes its heartbeat (every 60 s); scripts/healthcheck.py says why not.
HEALTHCHECK --interval=60s --timeout=30s --start-period=3m --retries=3 \
    CMD aidnews status --format json | python /app/healthcheck.py --this-host
CMD ["aidnews", "serve"]
