"""The generated parts of a release commit: ``blurb release``, pydoc topics and configure.

The two that need more than this machine may have (a Sphinx environment for the pydoc
topics, a container runtime with the pinned autoconf image for configure) are skipped with
a notice that says so; nothing pretends to have regenerated them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.prepare.checks import NEWS_NEXT, news_entries
from cpython_release.source.export import find_blurb
from cpython_release.version import ReleaseVersion

#: Environment variables repository code (blurb, make, regen-configure.sh) never sees: any
#: name that looks like a secret, and the runner's own tokens.
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE|CREDENTIAL|_KEY$|^GPG_|API_KEY|AUTH|"
    r"^ACTIONS_(RUNTIME|ID_TOKEN|CACHE|RESULTS)|^GIT_CONFIG_",
    re.IGNORECASE,
)


def tool_env(**extra: str) -> dict[str, str]:
    """The environment the repository's own tools run with: this process's, minus every
    secret-named variable ($GPG_PRIVATE_KEY, $GPG_PASSPHRASE, $GITHUB_TOKEN, ...)."""
    env = {k: v for k, v in os.environ.items() if not _SECRET_NAME.search(k)}
    env.update(extra)
    return env


def blurb_release(repo: Path, version: ReleaseVersion) -> str:
    """``blurb release VERSION``: every ``next/`` entry into ``Misc/NEWS.d/VERSION.rst``
    (blurb stages the new file and removes the entries with git itself)."""
    entries = news_entries(repo)
    env = tool_env(TZ="UTC", PYTHONUTF8="1", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [*find_blurb(), "release", str(version)],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CheckFailed(
            f"blurb release {version} failed (exit {done.returncode})",
            _without_traceback(done.stderr or done.stdout),
        )
    out = repo / "Misc" / "NEWS.d" / f"{version}.rst"
    if not out.is_file():
        raise CheckFailed(f"blurb release {version} wrote no {out.relative_to(repo)}")
    left = news_entries(repo)
    if left:
        raise CheckFailed(f"blurb release left entries in {NEWS_NEXT}", left)
    return f"blurb release: {len(entries)} entries -> Misc/NEWS.d/{version}.rst"


def _without_traceback(text: str) -> list[str]:
    """The last few lines of a tool's output, without a Python traceback's frames (only its
    final ``Error: message`` line stays)."""
    lines, skipping = [], False
    for line in text.strip().splitlines():
        if line.startswith("Traceback (most recent call last)"):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        lines.append(line)
    return lines[-3:]


def pydoc_topics(repo: Path, version: ReleaseVersion) -> str:
    """``make -C Doc pydoc-topics`` and copy the result into ``Lib/pydoc_data`` (as
    release-tools does), when the clone's ``Doc/venv`` has Sphinx. Making that venv
    (``make -C Doc venv``) downloads packages, so it is never done here."""
    sphinx = repo / "Doc" / "venv" / "bin" / "sphinx-build"
    makefile = repo / "Doc" / "Makefile"
    if not makefile.is_file() or "pydoc-topics" not in makefile.read_text(errors="replace"):
        return "pydoc topics: SKIPPED, Doc/Makefile has no pydoc-topics target"
    if not sphinx.exists():
        return (
            "pydoc topics: SKIPPED, not regenerated: Doc/venv has no Sphinx (make -C Doc venv "
            "needs the network); Lib/pydoc_data/topics.py stays as committed"
        )
    done = subprocess.run(
        ["make", "-C", "Doc", "pydoc-topics"],
        cwd=repo,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise CheckFailed("make -C Doc pydoc-topics failed", done.stderr.strip().splitlines()[-5:])
    built = repo / "Doc" / "build" / "pydoc-topics"
    copied = []
    for name in ("topics.py", *(("module_docs.py",) if version.at_least(3, 13) else ())):
        if (built / name).is_file():
            shutil.copy2(built / name, repo / "Lib" / "pydoc_data" / name)
            copied.append(name)
    if not copied:
        raise CheckFailed("make -C Doc pydoc-topics produced no topics.py")
    return f"pydoc topics: regenerated {', '.join(copied)}"


#: The container CPython 3.11 and older regenerate configure with (release-tools pins the
#: same digest, tag 269 / cp311); 3.12 and newer name theirs in Tools/build/regen-configure.sh.
AUTOCONF_311 = (
    "quay.io/tiran/cpython_autoconf@sha256:"
    "f370fee95eefa3d57b00488bce4911635411fa83e2d293ced8cf8a3674ead939"
)


def container_runtime() -> str | None:
    """docker or podman, when one is installed and its daemon answers."""
    for tool in ("podman", "docker"):
        exe = shutil.which(tool)
        if exe is None:
            continue
        done = subprocess.run([exe, "info"], capture_output=True, check=False, timeout=60)
        if done.returncode == 0:
            return exe
    return None


def regen_configure(repo: Path, version: ReleaseVersion) -> str:
    """Regenerate ``configure`` with the pinned autoconf container; skipped with a notice
    when no container runtime answers."""
    script = repo / "Tools" / "build" / "regen-configure.sh"
    runtime = container_runtime()
    if runtime is None:
        return (
            "configure: SKIPPED, not regenerated: no container runtime (docker or podman) "
            "answers here; the committed configure is kept"
        )
    if script.is_file():
        # the script names CPython's pinned image and picks podman or docker itself
        command = [str(script)]
        env = tool_env()
        where = "Tools/build/regen-configure.sh"
    else:
        command = [runtime, "run", "--rm", f"-v{repo}:/src", AUTOCONF_311]
        env = tool_env()
        where = AUTOCONF_311
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise CheckFailed(
            f"configure regeneration with {where} failed", done.stderr.strip().splitlines()[-5:]
        )
    return f"configure: regenerated with {where}"


def require_tools() -> None:
    """What the steps cannot do without: blurb."""
    try:
        find_blurb()
    except BadInput as exc:
        raise BadInput(f"prepare needs blurb: {exc}") from exc
