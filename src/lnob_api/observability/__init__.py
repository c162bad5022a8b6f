"""Observability: Prometheus metrics (``metrics``), structured logs (``logs``) and optional
OpenTelemetry traces (``tracing``), fed by one record per request (``request``).

Nothing here imports the web framework or strawberry; ``http.metrics`` (the ASGI middleware and
the ``/metrics`` route) and ``graphql.observe`` (the schema extension) feed it.
"""
