"""Disclosure policy (what is public, for how long) and the public view of a profile."""

from credithub.disclosure.policy import DisclosurePolicy, PublicityRule, default_policy, load_policy, local_today
from credithub.disclosure.view import compute_summary, public_view

__all__ = ["DisclosurePolicy", "PublicityRule", "compute_summary", "default_policy", "load_policy", "local_today", "public_view"]
