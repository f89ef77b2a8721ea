"""`credithub connectors new NAME`: write a working connector package from templates.

The scaffold is a CSV file-drop connector over a sample file it writes, with a config example,
an expectation suite (GX 1.x JSON) and a pytest module running the acceptance suite, so it
passes `credithub connectors test` at once and is a starting point to edit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from string import Template

from credithub.errors import ConfigError

TEMPLATE_DIR = Path(__file__).parent / "template"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def sample_rows(n: int = 20) -> list[list[str]]:
    rows = []
    for i in range(1, n + 1):
        rows.append(
            [
                f"R{i:05d}",
                f"深圳市示例{i}科技有限公司",
                f"9144030000000{i:05d}",
                ["警示", "表彰", "处罚"][i % 3],
                f"2026-0{1 + i % 9}-{1 + i % 27:02d}",
                f"2026-10-{1 + i % 28:02d}T09:00:00",
            ]
        )
    return rows


def scaffold(name: str, dest: Path, *, title: str | None = None) -> list[Path]:
    """Create the package directory `dest`; returns the files written."""
    if not NAME_RE.match(name):
        raise ConfigError(
            "connector name must be lower-case letters, digits and _, starting with a letter", field="name", value=name
        )
    if dest.exists() and any(dest.iterdir()):
        raise ConfigError("target directory is not empty", field="dir", value=str(dest))
    package = f"credithub_conn_{name}"
    values = {
        "name": name,
        "package": package,
        "title": title or f"{name} 部门",
        "class_name": "".join(p.capitalize() for p in name.split("_")) + "Connector",
    }
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for tpl in sorted(TEMPLATE_DIR.rglob("*.tpl")):
        rel = tpl.relative_to(TEMPLATE_DIR).as_posix().removesuffix(".tpl")
        rel = rel.replace("PACKAGE", package).replace("NAME", name)
        write(rel, Template(tpl.read_text(encoding="utf-8")).substitute(values))
    header = "记录编号,企业名称,统一社会信用代码,事项,决定日期,更新时间\n"
    body = "".join(",".join(r) + "\n" for r in sample_rows())
    write(f"sample/{name}_2026-10.csv", header + body)
    write(
        "config.example.json",
        json.dumps({"directory": str((dest / "sample").resolve()), "encoding": "auto"}, ensure_ascii=False, indent=2) + "\n",
    )
    return written
