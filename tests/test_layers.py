"""The design's layering holds: imports go one way, ccsim -> optimize -> sim."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"sim": {"optimize", "ccsim"}, "optimize": {"ccsim"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_imports_go_one_way():
    bad = []
    for layer, forbidden in FORBIDDEN.items():
        for f in sorted((ROOT / layer).rglob("*.py")):
            hits = imported_packages(f) & forbidden
            if hits:
                bad.append(f"{f.relative_to(ROOT)} imports {sorted(hits)}")
    assert not bad, bad
