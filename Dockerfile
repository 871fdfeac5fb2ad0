# syntax=docker/dockerfile:1
# One image for the three services and the ops CLI; docker-compose.yml picks the command.
#   docker build -t timestamp-cqrs .
#   docker run --rm -p 7080:7080 -e KAFKA_BROKER=… timestamp-cqrs            # command service
#   docker run --rm timestamp-cqrs timestamp-query-service                    # query service
# Console scripts: timestamp-command-service, timestamp-consumer-service,
# timestamp-query-service, timestamp-ops.

# ---- builder: a virtualenv holding the project and its runtime dependencies only --------
FROM python:3.11.7-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --upgrade pip==25.3

WORKDIR /src
# README* is optional (pyproject names README.md; the build works without it).
COPY pyproject.toml requirements.lock README* ./
COPY shared ./shared
COPY command_service ./command_service
COPY consumer_service ./consumer_service
COPY query_service ./query_service
COPY ops ./ops
# A regular (non-editable) install: the packages land, byte-compiled, in the venv's
# site-packages, so the final stage needs nothing but /opt/venv (and writes no .pyc at run
# time: the containers run with a read-only root filesystem). No dependency group: no dev
# tools in the image. requirements.lock pins every transitive version, as `make install` does.
RUN pip install -c requirements.lock .

# ---- runtime: the venv (with the installed source packages), no build tools, no root ---
FROM python:3.11.7-slim-bookworm AS runtime

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /app
USER 10001:10001

EXPOSE 7080 7081 7082
CMD ["timestamp-command-service"]
