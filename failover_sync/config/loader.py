"""Loading, validating and resolving the config file; environment settings.

:func:`load_config` reads YAML (JSON is YAML), validates every part separately so that all
problems are reported at once, each with its key path and line, merges ``defaults`` under
records and endpoints, and returns a frozen :class:`Config` whose records are the planner's
:class:`~failover_sync.model.DesiredRecord` values. Nothing is written while loading.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from failover_sync.config import records as resolve
from failover_sync.config import spec as schema
from failover_sync.config.environment import environment_checks, environment_problems
from failover_sync.config.jsonschema import shipped_adapters
from failover_sync.config.source import KeyPath, Source, YamlSyntaxError, format_path, parse
from failover_sync.errors import ProviderNotInstalled
from failover_sync.model import (
    AllUnhealthy,
    DesiredRecord,
    Endpoint,
    Failback,
    Policy,
    ProbeTarget,
    Zone,
    absolute_name,
)
from failover_sync.provider.base import Provider, ProviderOptions
from failover_sync.provider.loader import ENTRY_POINT_GROUP, load_provider_class

if TYPE_CHECKING:
    from failover_sync.config.cluster_spec import ClusterSpec
    from failover_sync.config.settings import Settings

DEFAULT_CONFIG_FILE = "failover-sync.yaml"


@dataclass(frozen=True, slots=True)
class Problem:
    """One config problem: key path, message and 1-based line when known."""

    path: KeyPath
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        dotted = format_path(self.path)
        return f"{where}: {dotted}: {self.message}" if dotted else f"{where}: {self.message}"


class ConfigError(Exception):
    """The config is invalid; ``problems`` lists every problem found, in file order."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        # One defaults block shared by several endpoints can fail the same check for each.
        unique = list(dict.fromkeys(problems))
        self.problems = sorted(unique, key=lambda p: (p.line or 0, format_path(p.path)))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.file}: invalid config ({count} problem{'s' if count != 1 else ''})"
        return "\n".join([head, *("  " + p.render(self.file) for p in self.problems)])


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """A provider instance: its name, type, adapter class and validated options."""

    name: str
    kind: str
    cls: type[Provider]
    options: ProviderOptions


@dataclass(frozen=True)
class Config:
    """A valid, resolved config."""

    path: Path | None
    providers: Mapping[str, ProviderConfig]
    zones: tuple[Zone, ...]
    records: tuple[DesiredRecord, ...]
    resync_seconds: float = 60.0
    warnings: tuple[str, ...] = ()
    notify: tuple[schema.WebhookSpec, ...] = ()
    owner_id: str = "default"
    max_change_fraction: float = 0.5
    max_unhealthy_fraction: float = 0.5
    canaries: tuple[ProbeTarget, ...] = ()
    config_dir: Path = field(default_factory=Path.cwd)
    cluster: ClusterSpec | None = None

    def records_of(self, zone: Zone) -> tuple[DesiredRecord, ...]:
        """The managed records of ``zone``, in config order."""
        return tuple(r for r in self.records if r.zone == zone.name)

    def targets(self) -> set[ProbeTarget]:
        """Every distinct probe target (shared targets once)."""
        return {e.target for r in self.records for e in r.endpoints}

    def build_providers(self) -> dict[str, Provider]:
        """Instantiate every provider that a zone uses."""
        used = {z.provider for z in self.zones}
        return {
            name: pc.cls(name, pc.options, config_dir=self.config_dir)
            for name, pc in self.providers.items()
            if name in used
        }


def resolve_config_path(flag: str | None, settings: Settings | None = None) -> Path:
    """``-c`` flag, else ``$FAILOVER_SYNC_CONFIG``, else ``./failover-sync.yaml``."""
    if flag:
        return Path(flag)
    if settings is None:
        # The variable Settings reads, without importing pydantic-settings (cold start).
        env = os.environ.get("FAILOVER_SYNC_CONFIG", "").strip()
        return Path(env) if env else Path(DEFAULT_CONFIG_FILE)
    return settings.config or Path(DEFAULT_CONFIG_FILE)


def load_config(path: Path, *, check_environment: bool = False) -> Config:
    """Read and validate the config file at ``path`` (UTF-8 text, YAML or JSON).

    With ``check_environment``, also check what ``run`` needs from outside the file: every
    variable a ``*_env`` option (of a provider, or a webhook's ``url_env``) names is set, and
    every file a provider's ``*_file`` option names can be read (:func:`environment_problems`).
    Raises ConfigError listing every problem (a missing or unreadable file, or text that is
    not UTF-8, is one problem).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [Problem((), f"cannot read config: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = (
            f"the config is not UTF-8 text: byte {exc.start} (0x{data[exc.start]:02x}) is not "
            "valid UTF-8; save the file as UTF-8"
        )
        raise ConfigError(str(path), [Problem((), msg, line)]) from None
    return load_config_text(text, path, check_environment=check_environment)


def load_config_text(
    text: str, path: Path | None = None, *, check_environment: bool = False
) -> Config:
    """Validate config ``text``; ``path`` names it in errors and anchors relative paths.
    ``check_environment`` as for :func:`load_config`. Raises ConfigError."""
    file = str(path) if path else "<config>"
    try:
        source = parse(text, path)
    except YamlSyntaxError as exc:
        raise ConfigError(file, [Problem(exc.path, str(exc), exc.line)]) from None
    builder = _Builder(source, path.parent.resolve() if path else Path.cwd())
    config = builder.build()
    if config is not None and not builder.problems and check_environment:
        for key_path, message in environment_problems(config):
            builder.problem(key_path, message)
    if builder.problems:
        raise ConfigError(file, builder.problems)
    assert config is not None
    return config


class _Builder:
    """Collects problems while turning a parsed Source into a Config."""

    def __init__(self, source: Source, config_dir: Path) -> None:
        self.source = source
        self.config_dir = config_dir
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.listed_zones: list[Zone] = []
        for dup_path, line in source.duplicates:
            self.problems.append(Problem(dup_path, "duplicate key", line))

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(path, message, self.source.line_of(path)))

    def validate(
        self, model: type[BaseModel], data: Any, path: KeyPath, also: tuple[str, ...] = ()
    ) -> Any:
        """Validate ``data`` at ``path``; record problems and return None on failure.
        ``also``: keys valid beside the model's own (see :func:`messages.problems`)."""
        try:
            return strict_validate(model, data)
        except ValidationError as exc:
            from failover_sync.config import messages  # error path only: difflib, schemas

            for loc, msg in messages.problems(model, exc.errors(include_url=False), also):
                self.problem((*path, *loc), msg)
            return None

    def build(self) -> Config | None:
        if not isinstance(self.source.data, dict):
            self.problem((), "the config must be a mapping with providers, zones and records")
            return None
        root = self.validate(schema.RootSpec, self.source.data, ())
        cluster = self._cluster(self.source.data.get("cluster"))
        if root is None or cluster is False:
            return None
        providers = dict(self._providers(root.providers))
        zones = list(self._zones(root.zones, providers))
        defaults = self.validate(schema.DefaultsSpec, root.defaults, ("defaults",))
        if defaults is None:  # keep the good keys: a bad one must not fail every record too
            defaults = _without_bad_keys(schema.DefaultsSpec, root.defaults)
        defaults = defaults or schema.DefaultsSpec()
        records: list[DesiredRecord] = []
        for name, raw in root.records.items():
            rec = self._record(name, raw, defaults, zones)
            if rec is not None:
                records.append(rec)
        return Config(
            path=self.source.path,
            providers=providers,
            zones=tuple(zones),
            records=tuple(records),
            resync_seconds=root.resync_seconds,
            warnings=tuple(self.warnings),
            notify=tuple(root.notify),
            owner_id=root.owner_id,
            max_change_fraction=root.max_change_fraction,
            max_unhealthy_fraction=root.max_unhealthy_fraction,
            canaries=resolve.canaries(self, root.canaries, defaults),
            config_dir=self.config_dir,
            cluster=cluster,
        )

    def _cluster(self, raw: Any) -> ClusterSpec | Literal[False] | None:
        """The ``cluster:`` key validated (None when absent or null, False when invalid).

        A part of the top level: its problems are reported with the other top-level ones,
        and like them stop the build. Its models load only for a config that has one.
        """
        if raw is None:
            return None
        from failover_sync.config.cluster_spec import ClusterSpec

        spec: ClusterSpec | None = self.validate(ClusterSpec, raw, ("cluster",))
        return False if spec is None else spec

    def _providers(self, raw: dict[str, Any]) -> Iterator[tuple[str, ProviderConfig]]:
        for name, spec_raw in raw.items():
            path: KeyPath = ("providers", name)
            spec = self.validate(schema.ProviderSpec, spec_raw, path)
            if spec is None:
                continue
            try:
                cls = load_provider_class(spec.type)
            except ProviderNotInstalled as exc:
                self.problem((*path, "type"), str(exc))
                continue
            kind = spec.type.strip().lower()
            if not _config_type(kind):
                msg = f"provider type {kind!r} is for tests only, not for a config file"
                self.problem((*path, "type"), msg)
                continue
            options = self.validate(cls.Options, spec.model_extra or {}, path, also=("type",))
            if options is not None:
                yield name, ProviderConfig(name, kind, cls, options)

    def _zones(self, raw: list[Any], providers: dict[str, ProviderConfig]) -> Iterator[Zone]:
        seen: set[str] = set()
        for index, zone_raw in enumerate(raw):
            path: KeyPath = ("zones", index)
            listed = zone_raw.get("name") if isinstance(zone_raw, dict) else None
            if isinstance(listed, str) and resolve.is_hostname(absolute_name(listed.strip())):
                # Listed, even if broken: its records are not "outside every zone" too.
                self.listed_zones.append(Zone(absolute_name(listed.strip()), ""))
            spec = self.validate(schema.ZoneSpec, zone_raw, path)
            if spec is None:
                continue
            name = absolute_name(spec.name)
            if not resolve.is_hostname(name):
                self.problem((*path, "name"), f"{spec.name!r} is not a valid zone name")
                continue
            if name in seen:
                self.problem((*path, "name"), f"zone {name} is listed twice")
            seen.add(name)
            if spec.provider not in providers:
                if spec.provider not in self.source.data.get("providers", {}):
                    known = ", ".join(sorted(self.source.data.get("providers", {}))) or "none"
                    msg = f"provider {spec.provider!r} is not defined under providers ({known})"
                    self.problem((*path, "provider"), msg)
                continue
            zone_opts = self.validate(
                providers[spec.provider].cls.ZoneOptions,
                spec.model_extra or {},
                path,
                also=tuple(schema.ZoneSpec.model_fields),
            )
            if zone_opts is not None:
                yield Zone(name, spec.provider, zone_opts.model_dump())

    def _record(
        self, name: str, raw: Any, defaults: schema.DefaultsSpec, zones: list[Zone]
    ) -> DesiredRecord | None:
        path: KeyPath = ("records", name)
        spec = self.validate(schema.RecordSpec, raw, path)
        if spec is None:
            # Report the cross-field problems too: validate again without the keys that
            # already failed, keeping only new problems from the semantic checks.
            spec = _without_bad_keys(schema.RecordSpec, raw)
            if spec is None:
                return None
            resolve.record(
                self, path, absolute_name(name), spec, defaults, zones, self.listed_zones
            )
            return None
        return resolve.record(
            self, path, absolute_name(name), spec, defaults, zones, self.listed_zones
        )


def config_types() -> frozenset[str]:
    """Provider types a config may name: every adapter this project ships (those the
    schema describes) and any adapter installed under the entry-point group."""
    from importlib.metadata import entry_points  # scans every installed distribution

    installed = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return frozenset({*shipped_adapters(), *installed})


def _config_type(kind: str) -> bool:
    """``kind in config_types()``, without reading the entry points for a shipped type."""
    return kind in shipped_adapters() or kind in config_types()


def strict_validate(model: type[BaseModel], data: Any) -> Any:
    """``model`` validated from the YAML data ``data`` with strict types: ``true`` is not a
    number and ``"80"`` not a port. Validation goes through JSON (what YAML data is), where
    strict mode still reads strings as paths and enum values. Raises ValidationError."""
    # default=str: YAML reads an unquoted 2026-01-01 as a date; here it is the string written.
    return model.model_validate_json(json.dumps(data, default=str), strict=True)


def _without_bad_keys(model: type[BaseModel], raw: Any) -> Any:
    """``raw`` validated after removing every key that failed, or None if that fails too."""
    data = copy.deepcopy(raw)
    for _ in range(3):
        try:
            return strict_validate(model, data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                if err["type"] == "missing" or not _drop(data, err["loc"]):
                    return None
    return None


def _drop(data: Any, loc: tuple[str | int, ...]) -> bool:
    """Remove the key or item at ``loc`` from nested dicts and lists; False if not found."""
    for part in loc[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(data, dict) and loc and loc[-1] in data:
        del data[loc[-1]]
        return True
    return False


__all__ = [
    "DEFAULT_CONFIG_FILE",
    "AllUnhealthy",
    "Config",
    "ConfigError",
    "Endpoint",
    "Failback",
    "Policy",
    "Problem",
    "ProviderConfig",
    "config_types",
    "environment_checks",
    "environment_problems",
    "load_config",
    "load_config_text",
    "resolve_config_path",
    "strict_validate",
]
