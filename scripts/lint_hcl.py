"""Parse every Terraform file under the given folders with python-hcl2 (no Terraform binary
can be downloaded on the machines that run `make lint`). Exit 1 listing each file that fails."""

from __future__ import annotations

import sys
from pathlib import Path

import hcl2


def main(folders: list[str]) -> int:
    files = sorted(f for folder in folders for f in Path(folder).rglob("*.tf"))
    failed = 0
    for path in files:
        try:
            with path.open(encoding="utf-8") as handle:
                hcl2.load(handle)
        except Exception as exc:  # the parser raises several unrelated error types
            print(f"{path}: {exc}", file=sys.stderr)
            failed += 1
    print(f"hcl2: {len(files) - failed}/{len(files)} Terraform files parse")
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["terraform"]))
