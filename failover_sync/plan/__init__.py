"""Planning: the pure planner, the guard chain, and the plan document.

``planner`` turns desired records, verdicts and live RRsets into a
:class:`~failover_sync.model.ZonePlan` with no I/O and no clock; ``guards`` (ownership,
hold-down, partition freeze, blast radius) each take a plan and return a plan; ``document``
is the plan's data form (plan JSON) and its checksum.

May import: ``model``, ``errors``, ``logs``.
"""
