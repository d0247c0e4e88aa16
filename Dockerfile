# The incident worker (and, when built, the Slack relay): one image, the entry point picks the role.
#   docker build --build-arg INCIDENT_BUILD_COMMIT=$(git rev-parse --short=12 HEAD) -t incident-workflow .
#   docker run --env-file .env incident-workflow worker

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY starter.py worker.py ./
COPY workflows ./workflows
COPY activities ./activities
COPY messages ./messages
COPY temporal_client ./temporal_client
COPY frontends ./frontends
COPY operations ./operations
COPY intake ./intake
RUN /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim AS run
# The commit built from: the worker reports "1.0.0+<commit>" as its build id (operations/build.py).
ARG INCIDENT_BUILD_COMMIT=""
ENV INCIDENT_BUILD_COMMIT=$INCIDENT_BUILD_COMMIT
RUN useradd --create-home --uid 10001 incident
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1
USER incident
WORKDIR /home/incident
ENTRYPOINT ["incident"]
CMD ["worker"]
