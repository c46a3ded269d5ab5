"""An SPDX 2.3 SBOM for the macOS installer package.

The framework bundles third-party libraries that ``Mac/BuildScript/build-installer.py``
builds from source (OpenSSL, Tcl/Tk, XZ, NCurses, SQLite, mpdecimal ...). Their names,
versions, URLs and checksums are read from that script's ``library_recipes()`` *as
checked out*, by a small static evaluator over its syntax tree (the script is never
imported or run here). Output is deterministic: ``created`` is the commit time and the
namespace derives from the package's SHA-256.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cpython_release import __version__
from cpython_release.errors import CheckFailed
from cpython_release.manifest import created_from_timestamp
from cpython_release.version import ReleaseVersion

NOASSERTION = "NOASSERTION"


@dataclass(frozen=True)
class LibraryRecipe:
    name: str
    version: str
    url: str | None
    checksum: str | None


class _Unknown(Exception):
    pass


@dataclass(frozen=True)
class BuildContext:
    """What the recipes' conditions depend on: the build host and deployment target."""

    build_macos: tuple[int, int] = (15, 0)
    deployment_target: tuple[int, int] = (10, 15)

    def call(self, name: str) -> Any:
        calls: dict[str, Any] = {
            "internalTk": self.deployment_target >= (10, 6),
            "useOldTk": self.build_macos < (10, 15),
            "getDeptargetTuple": self.deployment_target,
            "getBuildTuple": self.build_macos,
        }
        if name not in calls:
            raise _Unknown(name)
        return calls[name]


_NAMES: dict[str, Any] = {
    "PYTHON_3": True,
    "PYTHON_2": False,
    "True": True,
    "False": False,
    "None": None,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class _Evaluator:
    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self.env: dict[str, Any] = {}

    def expr(self, node: ast.expr) -> Any:
        match node:
            case ast.Constant(value=value):
                return value
            case ast.Name(id=name):
                if name in self.env:
                    return self.env[name]
                if name in _NAMES:
                    return _NAMES[name]
                raise _Unknown(name)
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                return tuple(self.expr(e) for e in elts)
            case ast.BinOp(left=left, op=ast.Mod(), right=right):
                fmt = self.expr(left)
                if not isinstance(fmt, str):
                    raise _Unknown("% on a non-string")
                return fmt % self.expr(right)
            case ast.BinOp(left=left, op=ast.Add(), right=right):
                return self.expr(left) + self.expr(right)
            case ast.JoinedStr(values=values):
                return "".join(str(self.expr(v)) for v in values)
            case ast.FormattedValue(value=value, conversion=-1, format_spec=None):
                return self.expr(value)
            case ast.Call(
                func=ast.Attribute(value=base, attr="format"), args=args, keywords=keywords
            ):
                fmt = self.expr(base)
                if not isinstance(fmt, str):
                    raise _Unknown("format on a non-string")
                return fmt.format(
                    *(self.expr(a) for a in args),
                    **{k.arg: self.expr(k.value) for k in keywords if k.arg},
                )
            case ast.Call(func=ast.Name(id=name), args=[], keywords=[]):
                return self.ctx.call(name)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.expr(operand)
            case ast.BoolOp(op=ast.And(), values=values):
                return all(self.expr(v) for v in values)
            case ast.BoolOp(op=ast.Or(), values=values):
                return any(self.expr(v) for v in values)
            case ast.Compare(left=left, ops=[op], comparators=[right]) if type(op) in _COMPARE:
                return _COMPARE[type(op)](self.expr(left), self.expr(right))
        raise _Unknown(ast.unparse(node))

    def field(self, node: ast.expr) -> Any:
        try:
            return self.expr(node)
        except (_Unknown, TypeError, ValueError, KeyError, IndexError):
            return None

    def recipes(self, items: list[ast.expr]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            if not (
                isinstance(item, ast.Call)
                and isinstance(item.func, ast.Name)
                and item.func.id == "dict"
            ):
                raise CheckFailed(f"unexpected library recipe form: {ast.unparse(item)[:80]}")
            out.append(
                {
                    k.arg: self.field(k.value)
                    for k in item.keywords
                    if k.arg in ("name", "url", "checksum")
                }
            )
        return out

    def run(self, body: list[ast.stmt]) -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = []
        for stmt in body:
            match stmt:
                case ast.Assign(targets=[ast.Name(id=name)], value=value):
                    try:
                        self.env[name] = self.expr(value)
                    except (_Unknown, TypeError, ValueError):
                        self.env.pop(name, None)
                case ast.If(test=test, body=then, orelse=orelse):
                    try:
                        cond = bool(self.expr(test))
                    except _Unknown as exc:
                        raise CheckFailed(
                            "cannot decide a condition in library_recipes()", [ast.unparse(test)]
                        ) from exc
                    sub = self.run(then if cond else orelse)
                    if sub is None:
                        return found
                    found += sub
                case ast.Expr(
                    value=ast.Call(func=ast.Attribute(attr="extend"), args=[ast.List(elts=elts)])
                ):
                    found += self.recipes(elts)
                case ast.Expr(value=ast.Call(func=ast.Attribute(attr="append"), args=[item])):
                    found += self.recipes([item])
                case ast.Return():
                    return found
        return found


_VERSION_RE = re.compile(r"^(?P<name>.+?)\s+(?P<version>v?\d[\w.+-]*)$")


def library_recipes(script: str, ctx: BuildContext | None = None) -> list[LibraryRecipe]:
    """The third-party libraries ``build-installer.py`` builds, in recipe order."""
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise CheckFailed(f"build-installer.py does not parse: {exc}") from exc
    func = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "library_recipes"),
        None,
    )
    if func is None:
        raise CheckFailed("build-installer.py has no library_recipes() function")
    raw = _Evaluator(ctx or BuildContext()).run(func.body) or []
    out = []
    for r in raw:
        label = r.get("name")
        if not isinstance(label, str):
            raise CheckFailed("a library recipe has a name that cannot be read statically")
        m = _VERSION_RE.match(label.strip())
        name, version = (m.group("name"), m.group("version")) if m else (label, NOASSERTION)
        url, checksum = r.get("url"), r.get("checksum")
        out.append(
            LibraryRecipe(
                name,
                version,
                url if isinstance(url, str) else None,
                checksum if isinstance(checksum, str) else None,
            )
        )
    if not out:
        raise CheckFailed("library_recipes() lists no libraries")
    return out


# Declared licenses and CPE vendor/product of the libraries build-installer.py builds.
_KNOWN: dict[str, tuple[str, str | None]] = {
    "openssl": ("Apache-2.0", "openssl:openssl"),
    "tcl": ("TCL", "tcl:tcl"),
    "tk": ("TCL", "tcl:tk"),
    "xz": (NOASSERTION, "tukaani:xz"),
    "ncurses": ("X11-distribute-modifications-variant", "gnu:ncurses"),
    "sqlite": ("blessing", "sqlite:sqlite"),
    "libmpdec": ("BSD-2-Clause", "bytereef:mpdecimal"),
    "mpdecimal": ("BSD-2-Clause", "bytereef:mpdecimal"),
}


def _spdx_id(name: str) -> str:
    return "SPDXRef-PACKAGE-" + re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-")


def _checksum(value: str | None) -> list[dict[str, str]]:
    if value and re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return [{"algorithm": "SHA256", "checksumValue": value.lower()}]
    if value and re.fullmatch(r"[0-9a-fA-F]{32}", value):
        return [{"algorithm": "MD5", "checksumValue": value.lower()}]
    return []


def _cpe(vendor_product: str, version: str, update: str = "*") -> dict[str, str]:
    return {
        "referenceCategory": "SECURITY",
        "referenceType": "cpe23Type",
        "referenceLocator": f"cpe:2.3:a:{vendor_product}:{version}:{update}:*:*:*:*:*:*",
    }


def pkg_sbom(
    version: ReleaseVersion,
    pkg_name: str,
    pkg_sha256: str,
    libraries: list[LibraryRecipe],
    created: int,
) -> dict[str, Any]:
    """The SPDX 2.3 document (a dict) for the installer package."""
    main_id = "SPDXRef-PACKAGE-CPython"
    packages: list[dict[str, Any]] = [
        {
            "SPDXID": main_id,
            "name": "CPython",
            "versionInfo": str(version),
            "packageFileName": pkg_name,
            "downloadLocation": f"https://www.python.org/ftp/python/{version.xyz}/{pkg_name}",
            "filesAnalyzed": False,
            "checksums": [{"algorithm": "SHA256", "checksumValue": pkg_sha256}],
            "licenseConcluded": "PSF-2.0",
            "licenseDeclared": "PSF-2.0",
            "copyrightText": NOASSERTION,
            "supplier": "Organization: Python Software Foundation",
            "originator": "Organization: Python Software Foundation",
            "primaryPackagePurpose": "INSTALL",
            "externalRefs": [_cpe("python:python", version.xyz, version.pre or "*")],
        }
    ]
    relationships = [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": main_id,
        }
    ]
    seen: set[str] = set()
    for lib in libraries:
        spdx_id = _spdx_id(lib.name)
        if spdx_id in seen:
            raise CheckFailed(f"library {lib.name} is listed twice in the recipes")
        seen.add(spdx_id)
        license_declared, cpe = _KNOWN.get(lib.name.lower(), (NOASSERTION, None))
        package: dict[str, Any] = {
            "SPDXID": spdx_id,
            "name": lib.name,
            "versionInfo": lib.version,
            "downloadLocation": lib.url or NOASSERTION,
            "filesAnalyzed": False,
            "licenseConcluded": NOASSERTION,
            "licenseDeclared": license_declared,
            "copyrightText": NOASSERTION,
            "primaryPackagePurpose": "LIBRARY",
            "comment": "Built from source by Mac/BuildScript/build-installer.py and "
            "bundled in Python.framework; the checksum is of the source archive.",
        }
        checksums = _checksum(lib.checksum)
        if checksums:
            package["checksums"] = checksums
        if cpe and lib.version != NOASSERTION:
            package["externalRefs"] = [_cpe(cpe, lib.version)]
        packages.append(package)
        relationships.append(
            {
                "spdxElementId": main_id,
                "relationshipType": "CONTAINS",
                "relatedSpdxElement": spdx_id,
            }
        )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": pkg_name,
        "documentNamespace": f"https://www.python.org/spdx/{pkg_name}/{pkg_sha256}",
        "creationInfo": {
            "created": created_from_timestamp(created),
            "creators": [f"Tool: cpython-release-{__version__}"],
        },
        "packages": packages,
        "relationships": relationships,
    }


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
