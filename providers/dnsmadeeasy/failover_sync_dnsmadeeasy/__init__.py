"""DNS Made Easy adapter."""

from failover_sync_dnsmadeeasy.provider import DnsMadeEasyProvider

__all__ = ["DnsMadeEasyProvider"]
