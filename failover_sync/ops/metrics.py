"""Every Prometheus metric of failover-sync, declared in this one module.

Names are prefixed ``failover_sync_``; durations are seconds, timestamps Unix seconds.
Labels stay bounded: per-endpoint series exist only where an operator needs them per
endpoint (health, transitions); probe latency and outcomes are labelled by protocol only, so
that 10,000 targets do not make 10,000 histograms.

======================================================  =========  ===========================
metric                                                  type       labels
======================================================  =========  ===========================
failover_sync_endpoint_healthy                          gauge      record, endpoint
failover_sync_probe_duration_seconds                    histogram  protocol
failover_sync_probe_results_total                       counter    protocol, outcome
failover_sync_health_transitions_total                  counter    endpoint, to
failover_sync_plan_changes_total                        counter    zone, mode
failover_sync_apply_duration_seconds                    histogram  provider
failover_sync_apply_errors_total                        counter    provider, kind
failover_sync_reconcile_errors_total                    counter    zone, kind
failover_sync_last_successful_reconcile_timestamp_seconds gauge    zone
failover_sync_consecutive_errors                        gauge      zone
failover_sync_frozen                                    gauge      zone
failover_sync_provider_api_calls_total                  counter    provider, operation
failover_sync_conflicts                                 gauge      zone
failover_sync_all_unhealthy                             gauge      record
failover_sync_probe_lateness_seconds                    histogram  -
failover_sync_writes_rejected_total                     counter    zone
failover_sync_foreign_writes_total                      counter    zone
failover_sync_ready                                     gauge      -
failover_sync_build_info                                gauge      version
failover_sync_probes_delayed_total                      counter    -
failover_sync_probes_waiting                            gauge      -
failover_sync_probes_in_flight                          gauge      -
failover_sync_probe_admission_limit                     gauge      -
failover_sync_probe_cpu_seconds                         gauge      -
failover_sync_probes_skipped_total                      counter    -
======================================================  =========  ===========================

:class:`Metrics` holds the metrics of one registry (a fresh registry per unit test);
:data:`METRICS` is the process-wide instance on prometheus_client's default registry.
:class:`MetricsSubscriber` moves them on a controller's events. The probe engine's overload
figures (the last six rows) are read on each scrape by :class:`ProbeEngineCollector` from the
:class:`~failover_sync.health.schedule.ProbeSchedule` attached to it (``Metrics.engine``):
its prober's admission counters and its skipped turns.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from failover_sync.__about__ import __version__
from failover_sync.controller.events import (
    AllUnhealthyChanged,
    ApplyFinished,
    BrakeChanged,
    ControllerReady,
    ControllerStopped,
    Event,
    ForeignWrite,
    HealthChanged,
    ProbeCompleted,
    ProviderCalled,
    ReconcileFailed,
    WriteRejected,
    ZoneReconciled,
)
from failover_sync.controller.logbook import kind
from failover_sync.health.schedule import ProbeSchedule
from failover_sync.model import Zone

# Probe latencies run from a millisecond on loopback to the request timeout (default 5 s).
PROBE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Lateness is milliseconds when all is well; 75 ms splits the 100 ms goal's last bucket.
LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)
# Applies include provider-side waits (Route 53 batches, RFC 2136 round trips, retries).
APPLY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class ProbeEngineCollector:
    """The probe engine's overload figures, read on each scrape (a prometheus_client custom
    collector): admission counters of the attached schedule's prober
    (:class:`~failover_sync.health.admission.AdmissionStats`) and the schedule's skipped turns.
    No samples while nothing is attached. Scrapes run on the HTTP server's thread; they only
    read numbers that the event loop's thread writes.
    """

    PREFIX = "failover_sync_"

    def __init__(self) -> None:
        self._schedule: ProbeSchedule | None = None

    def attach(self, schedule: ProbeSchedule) -> None:
        """Report ``schedule`` (and its prober) from now on."""
        self._schedule = schedule

    def detach(self, schedule: ProbeSchedule) -> None:
        """Stop reporting ``schedule``; a schedule attached since stays."""
        if self._schedule is schedule:
            self._schedule = None

    def _families(self) -> tuple[CounterMetricFamily | GaugeMetricFamily, ...]:
        p = self.PREFIX
        return (
            CounterMetricFamily(
                p + "probes_delayed", "Probes that waited for an admission slot (overload)."
            ),
            GaugeMetricFamily(p + "probes_waiting", "Probes waiting for an admission slot now."),
            GaugeMetricFamily(p + "probes_in_flight", "Probes admitted and running now."),
            GaugeMetricFamily(
                p + "probe_admission_limit",
                "Probes admitted at once: what the core can finish within the shortest timeout.",
            ),
            GaugeMetricFamily(
                p + "probe_cpu_seconds", "Measured CPU seconds one probe costs (moving average)."
            ),
            CounterMetricFamily(
                p + "probes_skipped",
                "Scheduled probe turns skipped because a target fell a whole interval behind.",
            ),
        )

    def describe(self) -> Iterator[Metric]:
        """The metric names, without samples (so that registering does not collect)."""
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        """The current figures; nothing while no schedule is attached."""
        schedule = self._schedule
        if schedule is None:
            return
        stats = schedule.prober.admission.stats
        values = (
            stats.delayed,
            stats.waiting,
            stats.in_flight,
            stats.limit,
            stats.cpu_per_probe_seconds,
            schedule.skipped,
        )
        for family, value in zip(self._families(), values, strict=True):
            family.add_metric([], float(value))
            yield family


class Metrics:
    """The metrics of failover-sync, registered in ``registry``; ``engine`` reports the probe
    engine attached to it (:meth:`ProbeEngineCollector.attach`)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        p = "failover_sync_"
        self.endpoint_healthy = Gauge(
            p + "endpoint_healthy",
            "1 when the endpoint is healthy, 0 when unhealthy.",
            ["record", "endpoint"],
            registry=registry,
        )
        self.probe_duration = Histogram(
            p + "probe_duration_seconds",
            "Latency of one health-check probe, seconds.",
            ["protocol"],
            buckets=PROBE_BUCKETS,
            registry=registry,
        )
        self.probe_results = Counter(
            p + "probe_results",
            "Health-check probes by outcome (success or failure).",
            ["protocol", "outcome"],
            registry=registry,
        )
        self.health_transitions = Counter(
            p + "health_transitions",
            "Health verdict changes by endpoint and new state (healthy or unhealthy).",
            ["endpoint", "to"],
            registry=registry,
        )
        self.plan_changes = Counter(
            p + "plan_changes",
            "RRset changes planned by a reconcile; mode is applied or dry_run.",
            ["zone", "mode"],
            registry=registry,
        )
        self.apply_duration = Histogram(
            p + "apply_duration_seconds",
            "Duration of one provider apply call, seconds.",
            ["provider"],
            buckets=APPLY_BUCKETS,
            registry=registry,
        )
        self.apply_errors = Counter(
            p + "apply_errors",
            "Failed provider apply calls by provider and kind (transient or permanent).",
            ["provider", "kind"],
            registry=registry,
        )
        self.reconcile_errors = Counter(
            p + "reconcile_errors",
            "Reconciles that failed after retries, by zone and kind.",
            ["zone", "kind"],
            registry=registry,
        )
        self.last_success = Gauge(
            p + "last_successful_reconcile_timestamp_seconds",
            "Unix time of the last reconcile of the zone that ended without error.",
            ["zone"],
            registry=registry,
        )
        self.consecutive_errors = Gauge(
            p + "consecutive_errors",
            "Reconciles of the zone that failed in a row (0 after a success).",
            ["zone"],
            registry=registry,
        )
        self.frozen = Gauge(
            p + "frozen",
            "1 while the safety brakes hold the zone's writes, else 0.",
            ["zone"],
            registry=registry,
        )
        self.provider_calls = Counter(
            p + "provider_api_calls",
            "Provider adapter calls by provider and operation (list_rrsets, apply).",
            ["provider", "operation"],
            registry=registry,
        )
        self.ready = Gauge(p + "ready", "1 once the first reconcile is done.", registry=registry)
        self.conflicts = Gauge(
            p + "conflicts",
            "Managed RRsets of the zone withheld because another owner holds them.",
            ["zone"],
            registry=registry,
        )
        self.all_unhealthy = Gauge(
            p + "all_unhealthy",
            "1 while every endpoint of the record is unhealthy (when_all_unhealthy applies).",
            ["record"],
            registry=registry,
        )
        self.probe_lateness = Histogram(
            p + "probe_lateness_seconds",
            "Seconds between a probe's scheduled time and its start (overload shows here).",
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.writes_rejected = Counter(
            p + "writes_rejected",
            "RRsets the provider refused permanently while the rest of the zone was written.",
            ["zone"],
            registry=registry,
        )
        self.foreign_writes = Counter(
            p + "foreign_writes",
            "Managed RRsets found rewritten by another writer since this process wrote them.",
            ["zone"],
            registry=registry,
        )
        self.build_info = Gauge(
            p + "build_info", "Always 1; the version as a label.", ["version"], registry=registry
        )
        self.build_info.labels(__version__).set(1)
        self.engine = ProbeEngineCollector()
        registry.register(self.engine)


METRICS = Metrics()
"""The process-wide metrics, served by ``run --metrics-addr``."""


class MetricsSubscriber:
    """Moves :class:`Metrics` on controller events. ``dry_run`` labels planned changes;
    ``zones`` get their per-zone series at 0 from the start, so that an alert on "never
    reconciled" fires for a zone that never succeeded."""

    def __init__(
        self,
        metrics: Metrics = METRICS,
        *,
        dry_run: bool = False,
        zones: Sequence[Zone] = (),
    ) -> None:
        self.metrics = metrics
        self.dry_run = dry_run
        self._errors: dict[str, int] = {}
        for zone in zones:
            metrics.last_success.labels(zone.name).set(0)
            metrics.consecutive_errors.labels(zone.name).set(0)
            metrics.conflicts.labels(zone.name).set(0)
            metrics.frozen.labels(zone.name).set(0)

    def __call__(self, ev: Event) -> None:
        m = self.metrics
        match ev:
            case ProbeCompleted(target, result, lateness):
                protocol = target.check.protocol
                m.probe_duration.labels(protocol).observe(result.latency_seconds)
                m.probe_results.labels(protocol, "success" if result.ok else "failure").inc()
                m.probe_lateness.observe(lateness)
            case HealthChanged(target, health, records):
                to = "healthy" if health.healthy else "unhealthy"
                m.health_transitions.labels(target.value, to).inc()
                for record in records:
                    m.endpoint_healthy.labels(record, target.value).set(health.healthy)
            case AllUnhealthyChanged(record, unhealthy, _):
                m.all_unhealthy.labels(record.name).set(unhealthy)
            case ControllerReady(health, records):
                for target, verdict in health.items():
                    for record in records.get(target, ()):
                        m.endpoint_healthy.labels(record, target.value).set(verdict.healthy)
                m.ready.set(1)
            case ControllerStopped():
                m.ready.set(0)
            case ProviderCalled(zone, operation):
                m.provider_calls.labels(zone.provider, operation).inc()
            case ApplyFinished(zone, seconds, error):
                m.apply_duration.labels(zone.provider).observe(seconds)
                if error is not None:
                    m.apply_errors.labels(zone.provider, kind(error)).inc()
            case ZoneReconciled(zone, plan, applied, _, refused):
                if plan.changes and refused is None:
                    mode = "dry_run" if self.dry_run or not applied else "applied"
                    m.plan_changes.labels(zone.name, mode).inc(len(plan.changes))
                m.conflicts.labels(zone.name).set(len(plan.conflicts))
                self._errors[zone.name] = 0
                m.consecutive_errors.labels(zone.name).set(0)
                m.last_success.labels(zone.name).set(time.time())
            case ReconcileFailed(zone, error):
                m.reconcile_errors.labels(zone.name, kind(error)).inc()
                self._errors[zone.name] = self._errors.get(zone.name, 0) + 1
                m.consecutive_errors.labels(zone.name).set(self._errors[zone.name])
            case WriteRejected(zone, _, _):
                m.writes_rejected.labels(zone.name).inc()
            case BrakeChanged(zone, _, engaged, _):
                m.frozen.labels(zone.name).set(engaged)
            case ForeignWrite(zone, _, _, _):
                m.foreign_writes.labels(zone.name).inc()
            case _:
                pass


__all__ = ["METRICS", "Metrics", "MetricsSubscriber", "ProbeEngineCollector"]
