"""Providers: the adapter interface, the loader, the retry policy, the adapter kit, and the
embedded zone-file and in-memory providers.

Adapters live in their own distributions (``providers/<name>/``) and register a class in the
entry-point group ``failover_sync.providers``; the core never imports them.

May import: ``model``, ``errors``, ``logs``.
"""
