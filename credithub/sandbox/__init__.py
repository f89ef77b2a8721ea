"""The sandbox: a synthetic city of companies and the 17 department sources that describe them.

`generate` writes every source in its native format (SQLite, GBK CSV, XLSX, XML, JSONL, JSON
served over local HTTP) with realistic faults, plus ground_truth.jsonl linking every source
record to the company it describes.
"""

from credithub.sandbox.build import SandboxManifest, generate, load_manifest
from credithub.sandbox.evolve import advance
from credithub.sandbox.sources import sources_config

__all__ = ["SandboxManifest", "advance", "generate", "load_manifest", "sources_config"]
