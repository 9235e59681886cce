"""The design's layering holds: imports go one way, ccsim -> optimize -> sim, inside the
one installed namespace (ccsim, ccsim.optimize, ccsim.sim)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# folder -> the installed package it becomes
PACKAGE = {"sim": "ccsim.sim", "optimize": "ccsim.optimize", "ccsim": "ccsim"}
# what each layer may import from the project
ALLOWED = {
    "sim": {"ccsim.sim"},
    "optimize": {"ccsim.sim", "ccsim.optimize"},
    "ccsim": {"ccsim", "ccsim.sim", "ccsim.optimize"},
}


def layer_of(module: str) -> str | None:
    """'ccsim.sim.scenario.model' -> 'ccsim.sim'; 'ccsim.cli' -> 'ccsim'; third party -> None.
    The old top-level names 'sim' and 'optimize' are not installed: reported as such."""
    if module in ("sim", "optimize") or module.startswith(("sim.", "optimize.")):
        return "(top-level " + module.split(".")[0] + ")"
    for pkg in ("ccsim.sim", "ccsim.optimize"):
        if module == pkg or module.startswith(pkg + "."):
            return pkg
    if module == "ccsim" or module.startswith("ccsim."):
        return "ccsim"
    return None


def package_of(path: Path) -> str:
    """The installed package a file of the repository belongs to."""
    rel = path.resolve().relative_to(ROOT).parent.parts
    return ".".join([PACKAGE[rel[0]], *rel[1:]]) if rel and rel[0] in PACKAGE else ""


def imported_layers(path: Path, package: str | None = None) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = package_of(path) if package is None else package
    out = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the file's installed package
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            # `from ccsim import sim` imports the subpackage
            names = [f"{base}.{a.name}" for a in node.names]
        out |= {lay for n in names if (lay := layer_of(n))}
    return out


def test_imports_go_one_way():
    bad = []
    for folder, allowed in ALLOWED.items():
        for f in sorted((ROOT / folder).rglob("*.py")):
            hits = imported_layers(f) - allowed
            if hits:
                bad.append(f"{f.relative_to(ROOT)} imports {sorted(hits)}")
    assert not bad, bad


def test_nothing_imports_the_old_top_level_names():
    """Tests and benchmarks use the installed namespace too."""
    bad = []
    for folder in ("tests", "benchmarks"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            hits = {h for h in imported_layers(f) if h.startswith("(")}
            if hits:
                bad.append(f"{f.relative_to(ROOT)} imports {sorted(hits)}")
    assert not bad, bad


def test_the_check_catches_a_wrong_import(tmp_path):
    """The checker itself: an upward import and an old name are both seen."""
    f = tmp_path / "x.py"
    f.write_text("from ccsim.optimize.plan import Plan\nimport sim\nfrom ccsim import report\n")
    assert imported_layers(f, "ccsim.sim") == {"ccsim.optimize", "(top-level sim)", "ccsim"}
    f.write_text("from ..model import Model\nfrom ...optimize import plan\n")
    assert imported_layers(f, "ccsim.sim.calibration") == {"ccsim.sim", "ccsim.optimize"}


def test_package_docstring_examples_run(monkeypatch):
    """The examples at the top of ccsim.sim and ccsim.optimize run as written (from the
    repository's root, where their scenario paths point)."""
    import doctest

    from ccsim import optimize, sim

    monkeypatch.chdir(ROOT)
    for module in (sim, optimize):
        failed, tried = doctest.testmod(module, verbose=False, report=False)
        assert tried >= 2 and failed == 0, module.__name__


def module_name(path: Path) -> str:
    pkg = package_of(path)
    return pkg if path.name == "__init__.py" else f"{pkg}.{path.stem}"


def import_graph() -> dict[str, set[str]]:
    """Module -> project modules it imports, at any depth of the file: function-level
    imports and those under `if TYPE_CHECKING:` included (they hide a cycle, they do not
    remove it)."""
    files = {module_name(f): f for folder in PACKAGE for f in (ROOT / folder).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, f in files.items():
        pkg = package_of(f)
        deps = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                # `from pkg import sub` is the submodule when there is one
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                ]
            for t in targets:
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    deps.add(t)
        graph[mod] = deps
    return graph


def test_no_import_cycle():
    """No module imports, directly or through others, a module that imports it. The
    packages' __init__ files gather their modules and are left out of the walk."""
    graph = import_graph()
    inits = {module_name(f) for folder in PACKAGE for f in (ROOT / folder).rglob("__init__.py")}

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start] - inits)
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += list(graph[m] - inits)
        return seen

    cycles = sorted(m for m in graph if m not in inits and m in reach(m))
    assert not cycles, cycles


def test_optimize_and_ccsim_read_no_schema_from_the_model():
    """The pydantic Scenario stays inside sim: optimize/ and ccsim/ read the compiled,
    typed fields of Model (targets, optimizer settings, ...), never `model.scenario`."""
    bad = []
    for folder in ("optimize", "ccsim"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr == "scenario"
                    and getattr(node.value, "id", "") != "cal"  # a Calibration's dict
                ):
                    bad.append(f"{f.relative_to(ROOT)}:{node.lineno}")
    assert not bad, bad


# rooms of the simulation layer, lowest first: a room imports only from rooms below it
SIM_ROOMS = ("ccsim.sim.scenario", "ccsim.sim.engine")


def room_of(mod: str) -> str:
    for room in SIM_ROOMS:
        if mod == room or mod.startswith(room + "."):
            return room
    return "ccsim.sim"


def test_sim_rooms_go_one_way():
    """The scenario room (file format, units, the compiled model) knows no engine; the
    engine room knows the scenario, never the replications and results built on it."""
    graph = import_graph()
    rank = {room: i for i, room in enumerate(SIM_ROOMS)} | {"ccsim.sim": len(SIM_ROOMS)}
    bad = [
        f"{mod} imports {dep}"
        for mod, deps in graph.items()
        if mod.startswith("ccsim.sim.") and room_of(mod) != "ccsim.sim"
        for dep in deps
        if dep.startswith("ccsim.sim") and rank[room_of(dep)] > rank[room_of(mod)]
    ]
    assert not bad, bad


MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
# the compiled event loop: one numba function, its parts named and documented inside
LONG_FUNCTIONS_ALLOWED = {"ccsim.sim.engine.kernel.run_chunk"}


def source_files():
    return [f for folder in PACKAGE for f in sorted((ROOT / folder).rglob("*.py"))]


def test_no_source_file_over_500_lines():
    long = {
        str(f.relative_to(ROOT)): n
        for f in source_files()
        if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not long, long


def test_no_function_over_80_lines():
    """Signature, docstring and body; nested functions count with their parent."""
    long = {}
    for f in source_files():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{module_name(f)}.{node.name}"
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS_ALLOWED:
                    long[name] = n
    assert not long, long


def test_every_room_says_what_it_owns():
    """Each package's __init__ opens with a docstring (what the room owns)."""
    bare = [
        str(f.relative_to(ROOT))
        for f in source_files()
        if f.name == "__init__.py" and not ast.get_docstring(ast.parse(f.read_text("utf-8")))
    ]
    assert not bare, bare
