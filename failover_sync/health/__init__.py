"""Health: the probes (HTTP, HTTPS, TCP) and the one owner of every verdict.

``probes`` sends one probe and returns a :class:`~failover_sync.model.ProbeResult`; ``state``
counts consecutive results against the failure/success thresholds and hands verdicts forward
as values (:class:`~failover_sync.model.EndpointHealth`), never as shared mutable state.

May import: ``model``, ``errors``, ``logs``.
"""
