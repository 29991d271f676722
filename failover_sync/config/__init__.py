"""The config file: pydantic spec, YAML source with lines, loader, record resolution, schema.

``spec`` holds the models exactly as users write them; ``source`` parses YAML and remembers
the line of every key path; ``records`` resolves a record spec (defaults merged, values
checked) into :class:`~failover_sync.model.DesiredRecord`; ``loader`` ties them together and
reports every problem at once; ``jsonschema`` prints the schema of ``failover-sync schema``.

May import: ``model``, ``errors``, ``logs`` and ``provider`` (to validate adapter options).
"""
