"""The wheel ships every subpackage.

An editable install finds any folder on disk, so a package missing from pyproject's list
only shows in a wheel install (every command died with ModuleNotFoundError once).
.ci/wheel builds the wheel and runs an example from it; this test catches the omission
in the default run, in a second.
"""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _installed_name(folder: Path, package_dir: dict[str, str]) -> str:
    rel = folder.relative_to(ROOT).as_posix()
    # the longest mapping whose folder contains this one wins (setuptools' rule)
    for name, src in sorted(package_dir.items(), key=lambda kv: -len(kv[1])):
        if rel == src or rel.startswith(src + "/"):
            rest = rel[len(src) :].strip("/")
            return name + ("." + rest.replace("/", ".") if rest else "")
    return rel.replace("/", ".")


def test_every_package_folder_is_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    package_dir = config["package-dir"]
    on_disk = {
        _installed_name(init.parent, package_dir)
        for top in package_dir.values()
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - on_disk == set(), "listed packages with no folder"
