"""The config file: pydantic spec, YAML source with lines, loader, record resolution, schema.

``spec`` holds the models exactly as users write them; ``source`` parses YAML within bounds
and remembers the line of every key path; ``messages`` words validation errors as what a key
should hold; ``records`` resolves a record spec (defaults merged, values checked) into
:class:`~failover_sync.model.DesiredRecord` and ``canaries:`` into probe targets; ``loader``
ties them together and reports every problem at once; ``environment`` checks the variables
and files a config names (``validate``); ``settings`` reads ``FAILOVER_SYNC_*``;
``jsonschema`` prints the schema of ``failover-sync schema`` from the models and the
generated ``adapters.schema.json`` (``scripts/gen_adapter_schemas.py``).

May import: ``model``, ``errors``, ``logs`` and ``provider`` (to validate adapter options);
never ``plan``, ``health``, ``controller`` or ``cli``.
"""
