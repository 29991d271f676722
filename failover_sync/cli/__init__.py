"""The ``failover-sync`` command: argument parsing, the verbs, renderers and the demo.

May import: every package of the core.
"""
