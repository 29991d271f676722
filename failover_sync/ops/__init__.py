"""Operations: Prometheus metrics, webhooks, the HTTP server of ``/metrics``, ``/healthz``,
``/readyz`` and ``/status``, and their wiring to a controller's events.

May import: ``controller`` and everything below it.
"""
