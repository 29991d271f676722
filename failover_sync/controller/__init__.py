"""The controller: ``run`` and ``run_once``, the one reconcile path, the schedule, events.

Every verb (``plan``, ``apply``, ``run --once``, ``run``) goes through the same reconcile:
read -> plan -> guards -> apply -> record. What happens is published as typed events to
subscribers (metrics, logs, webhooks), none of which reads controller internals.

May import: ``plan``, ``health``, ``config``, ``provider``, ``model``, ``errors``, ``logs``.
"""
