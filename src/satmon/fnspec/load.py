"""Read every ``functions/<name>/func.yaml``, with errors that name the file and the field.

A folder under ``functions/`` is a function when it holds a ``func.yaml``; one with a
``main.py`` but no description is an error, as is a description that disagrees with its
folder (name, entry point) or with another function (port, entry point or trigger name
taken twice).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from satmon.errors import SatmonError
from satmon.fnspec.model import FunctionSpec

DESCRIPTION_FILE = "func.yaml"
RESERVED_PORTS = {8000: "the operation API", 8080: "the dashboard"}


class FunctionSpecError(SatmonError, ValueError):
    """A function description that cannot be read, or that contradicts another file."""


@dataclass(frozen=True)
class Functions:
    """Every function of one checkout, by name, in folder order."""

    root: Path
    specs: dict[str, FunctionSpec]

    def get(self, name: str) -> FunctionSpec:
        """The named function; the error lists the known ones."""
        if name not in self.specs:
            known = ", ".join(self.specs) or "none"
            raise FunctionSpecError(f"no function named {name!r} (known: {known})")
        return self.specs[name]

    def __iter__(self) -> Iterator[FunctionSpec]:
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)


def load_functions(root: Path) -> Functions:
    """Every function under ``root/functions``, checked against its folder and the others."""
    folder = root / "functions"
    specs: dict[str, FunctionSpec] = {}
    for child in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        if (child / DESCRIPTION_FILE).exists():
            spec = load_function(child, root)
            specs[spec.name] = spec
        elif (child / "main.py").exists():
            raise FunctionSpecError(
                f"{_rel(child, root)}: main.py without a {DESCRIPTION_FILE} (`satmon fn new` "
                "writes one; functions/README.md describes the format)"
            )
    _check_unique(specs)
    return Functions(root, specs)


def load_function(folder: Path, root: Path | None = None) -> FunctionSpec:
    """One description; :class:`FunctionSpecError` says which file and field are wrong."""
    path = folder / DESCRIPTION_FILE
    where = _rel(path, root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FunctionSpecError(f"{where}: cannot read it: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise FunctionSpecError(f"{where}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FunctionSpecError(f"{where}: must be a mapping of the fields in functions/README.md")
    try:
        spec = FunctionSpec.model_validate(data)
    except ValidationError as exc:
        raise FunctionSpecError(f"{where}: " + "; ".join(_problems(exc))) from exc
    if spec.name != folder.name:
        raise FunctionSpecError(f"{where}: name {spec.name!r} is not its folder's ({folder.name})")
    main = folder / "main.py"
    if not main.exists():
        raise FunctionSpecError(f"{where}: {_rel(main, root)} is missing")
    if f"def {spec.entry.target}(" not in main.read_text(encoding="utf-8"):
        raise FunctionSpecError(
            f"{where}: entry.target {spec.entry.target!r} is not defined in {_rel(main, root)}"
        )
    return spec


def _check_unique(specs: Mapping[str, FunctionSpec]) -> None:
    seen: dict[str, str] = {}
    for spec in specs.values():
        claims = [
            (f"local.port {spec.local.port}", f"port {spec.local.port}"),
            (f"entry.target {spec.entry.target}", f"target {spec.entry.target}"),
            *((f"trigger {t.name}", f"trigger {t.name}") for t in spec.triggers),
        ]
        for what, key in claims:
            if key in seen:
                raise FunctionSpecError(
                    f"functions/{spec.name}/{DESCRIPTION_FILE}: {what} is already "
                    f"functions/{seen[key]}'s"
                )
            seen[key] = spec.name
        if spec.local.port in RESERVED_PORTS:
            raise FunctionSpecError(
                f"functions/{spec.name}/{DESCRIPTION_FILE}: local.port {spec.local.port} is "
                f"{RESERVED_PORTS[spec.local.port]}'s"
            )


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "<top>"
        message = err["msg"].removeprefix("Value error, ")
        out.append(f"{where}: {message}")
    return out


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)
