# The API image. Optional: `make run` needs no Docker (see README.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LNOB_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY src ./src
COPY schema ./schema

# Editable install: the service finds migrations/ and seeds/ next to src/, which a plain
# `pip install .` (code copied into site-packages) would leave out of reach.
RUN pip install -e . \
    && useradd --system --uid 10001 --home-dir /data lnob \
    && mkdir -p /data \
    && chown lnob /data

USER lnob
EXPOSE 8000
CMD ["lnob-api", "serve", "--host", "0.0.0.0"]
