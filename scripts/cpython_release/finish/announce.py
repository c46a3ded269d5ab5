"""The draft announcement of a published release: a Discourse post and an e-mail.

Both carry the files table (name, size, SHA-256, from the signed release manifest) and the
"Security" section of the release's news (``Misc/NEWS.d/VERSION.rst`` at the tag, parsed by
blurb) with its CVE numbers. A draft: the release manager edits and sends it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.manifest import Manifest
from cpython_release.prepare.gitutil import show
from cpython_release.version import ReleaseVersion

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


@dataclass(frozen=True)
class SecurityFix:
    issue: str
    text: str
    cves: tuple[str, ...]


def security_fixes(repo: Path, version: ReleaseVersion) -> list[SecurityFix]:
    """The Security entries of ``Misc/NEWS.d/VERSION.rst`` at the tag."""
    from blurb._blurb_file import BlurbError, Blurbs

    path = f"Misc/NEWS.d/{version}.rst"
    text = show(repo, version.tag, path)
    if text is None:
        raise BadInput(f"{version.tag} has no {path}: was it made by blurb release?")
    blurbs = Blurbs()
    try:
        blurbs.parse(text, filename=path)
    except BlurbError as exc:
        raise BadInput(f"{path} at {version.tag} does not parse: {exc}") from exc
    out = []
    for metadata, body in blurbs:
        if metadata.get("section") != "Security":
            continue
        cves = set(_CVE.findall(body))
        if metadata.get("cve"):
            cves.add(str(metadata["cve"]))
        issue = metadata.get("gh-issue") or metadata.get("bpo") or "?"
        out.append(SecurityFix(str(issue), " ".join(body.split()), tuple(sorted(cves))))
    return out


UNVERIFIED_BANNER = (
    "**UNVERIFIED: the file hashes below come from a release manifest that was not checked "
    "against the released files (finish --release-dir). Do not publish this draft.**\n\n"
)


def check_release_dir(manifest: Manifest, release_dir: Path) -> int:
    """Every file the manifest lists is in ``release_dir`` with the size and SHA-256 the
    announcement will print; else :class:`CheckFailed` naming each difference. Returns the
    number of files checked."""
    problems = []
    for a in manifest.artifacts:
        path = release_dir / a.name
        if "/" in a.name or a.name in ("", ".", "..") or not path.is_file():
            problems.append(f"{a.name}: not in {release_dir}")
            continue
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if path.stat().st_size != a.size or digest.hexdigest() != a.sha256:
            problems.append(f"{a.name}: size or SHA-256 differs from the manifest")
    if problems:
        raise CheckFailed(
            f"the release manifest does not match the files in {release_dir}: no announcement",
            problems,
        )
    return len(manifest.artifacts)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def files_table(manifest: Manifest) -> str:
    rows = ["| File | Size | SHA-256 |", "|---|---:|---|"]
    for a in sorted(manifest.artifacts, key=lambda a: a.name):
        rows.append(f"| {a.name} | {_size(a.size)} | `{a.sha256}` |")
    return "\n".join(rows) + "\n"


_MENTION = re.compile(r"@(everyone|here|channel|all)\b", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _no_mentions(text: str) -> str:
    """``@everyone``/``@here`` (and kin) lose their power: a zero-width space after the @."""
    return _MENTION.sub("@\u200b\\1", _CONTROL.sub("", text))


def safe_markdown(text: str) -> str:
    """NEWS text for the Discourse draft and the step summary: HTML escaped, mass mentions
    neutralised, and a Markdown link kept only when it points to an https URL (any other
    link is shown as its text and its escaped target)."""

    def _link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if url.startswith("https://"):
            return f"[{label}]({url})"
        return f"\\[{label}\\] ({url})".replace("(", "\\(").replace(")", "\\)")

    return _MD_LINK.sub(_link, html.escape(_no_mentions(text), quote=False))


def _issue(fix: SecurityFix) -> str:
    return fix.issue if fix.issue.isdigit() else "?"


def _security_md(fixes: list[SecurityFix]) -> str:
    if not fixes:
        return "This release has no entries in the Security section of its changelog.\n"
    lines = []
    for fix in fixes:
        cves = f" ({', '.join(fix.cves)})" if fix.cves else ""
        lines.append(f"- gh-{_issue(fix)}{cves}: {safe_markdown(fix.text)}")
    return "\n".join(lines) + "\n"


def discourse_post(
    version: ReleaseVersion, manifest: Manifest, fixes: list[SecurityFix], base_url: str
) -> str:
    cves = sorted({c for f in fixes for c in f.cves})
    headline = f"Python {version} is now available"
    if cves:
        headline += f" (security fixes: {', '.join(cves)})"
    page = f"{base_url}/downloads/release/python-{str(version).replace('.', '')}/"
    return (
        f"# {headline}\n\n"
        f"Python {version} is out: {page}\n\n"
        f"## Security\n\n{_security_md(fixes)}\n"
        f"## Files\n\n{files_table(manifest)}\n"
        f"Full changelog: https://docs.python.org/release/{version}/whatsnew/changelog.html\n\n"
        "Thanks to everyone who contributed to this release.\n"
    )


def email(version: ReleaseVersion, manifest: Manifest, fixes: list[SecurityFix]) -> str:
    lines = [
        f"Subject: [RELEASE] Python {version} is now available",
        "",
        f"Python {version} is now available.",
        "",
        "Security fixes:" if fixes else "This release has no entries in the Security section.",
    ]
    for fix in fixes:
        cves = f" [{', '.join(fix.cves)}]" if fix.cves else ""
        lines.append(f"  * gh-{_issue(fix)}{cves}: {_no_mentions(fix.text)}")
    lines += ["", "Files (SHA-256):"]
    width = max((len(a.name) for a in manifest.artifacts), default=0)
    for a in sorted(manifest.artifacts, key=lambda a: a.name):
        lines.append(f"  {a.name:<{width}}  {a.size:>11,} bytes  {a.sha256}")
    return "\n".join(lines) + "\n"
