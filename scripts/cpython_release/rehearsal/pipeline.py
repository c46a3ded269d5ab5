"""``cpython-release rehearse``: plan, build-source, SBOM, sign, publish (local), verify.

Each pipe is one function with one job; each is timed, and a failing pipe stops the run with
its own exit status. With no repository given, the rehearsal generates the embedded
CPython-shaped demo repository, so it runs anywhere with no network and no server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cpython_release.errors import BadInput, CheckFailed, ReleaseError
from cpython_release.gantt import bars_from_stages, gantt_chart
from cpython_release.ghactions import write_summary
from cpython_release.manifest import MANIFEST_NAME, Manifest
from cpython_release.output import note
from cpython_release.phase import ReleaseCycle
from cpython_release.plan import Plan, check_commit, make_plan
from cpython_release.summary import StageTiming, timeline_table
from cpython_release.version import ReleaseVersion

MARKER = ".cpython-release-rehearsal"
DEFAULT_VERSION = "3.13.5"


@dataclass
class Rehearsal:
    workdir: Path
    version: ReleaseVersion
    repo: Path | None = None
    commit: str | None = None
    repository: str = "python/cpython"
    release_cycle: str | None = None
    nightly: bool = False
    branch: str | None = None  # nightly mode: the branch whose head is built
    # nightly mode: whether ``version`` was asked for (else it follows from the patchlevel)
    version_given: bool = True
    # rehearse --full: the key that signed the tag signs the files too (rehearsal/full.py)
    key: Any = None
    log: Callable[[str], None] = field(default=note)
    # filled in by the pipes
    plan: Plan | None = None
    fragments: list[Path] = field(default_factory=list)
    manifest: Manifest | None = None
    keyring: Path | None = None
    published: Path | None = None
    stages: list[StageTiming] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def artifacts(self) -> Path:
        return self.workdir / "artifacts"

    @property
    def local_root(self) -> Path:
        """The local python.org: www.python.org/ftp/..., docs.python.org/..., api/."""
        return self.workdir / "python.org"


def prepare_workdir(workdir: Path, keep: Path | None = None) -> None:
    """A fresh work directory; only a previous rehearsal's directory is ever removed, and
    never when it holds ``keep`` (the repository the rehearsal is about to build)."""
    if workdir.exists() and not workdir.is_dir():
        raise BadInput(f"--workdir {workdir} is not a directory (nothing was changed)")
    if keep is not None and workdir.resolve() in (keep.resolve(), *keep.resolve().parents):
        raise BadInput(
            f"--workdir {workdir} holds the repository {keep}: a rehearsal replaces its "
            "directory; choose another --workdir (nothing was changed)"
        )
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise BadInput(
                f"{workdir} exists and is not a rehearsal directory; choose another "
                "--workdir (nothing was changed)"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("a cpython-release rehearsal; safe to delete\n")


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if done.returncode:
        raise BadInput(f"git {' '.join(args)} in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


# --- the pipes -------------------------------------------------------------------------------
def pipe_source(r: Rehearsal) -> str:
    if r.nightly:
        return _nightly_source(r)
    if r.repo is None:
        from cpython_release.demo_repo import make_demo_repo

        demo = make_demo_repo(r.workdir / "cpython", str(r.version))
        r.repo, r.commit = demo.path, demo.commit
        return f"embedded demo repository at {demo.path}, {demo.tag} = {demo.commit[:12]}"
    if r.commit is None:
        tag = r.version.tag
        if not _ref_exists(r.repo, f"refs/tags/{tag}"):
            raise BadInput(
                f"tag {tag} does not exist in {r.repo}: a release rehearsal builds a tagged "
                f"commit (fetch tags with git fetch --tags, or push {tag} first in a fork)"
            )
        r.commit = _git(r.repo, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}")
        return f"{tag} = {r.commit[:12]} in {r.repo}"
    check_commit(r.commit)
    return f"{r.repo} at {r.commit[:12]}"


def _ref_exists(repo: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", ref], capture_output=True
    )
    return done.returncode == 0


def _exact_ref(repo: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(repo), "show-ref", "--verify", "--quiet", ref], capture_output=True
    )
    return done.returncode == 0


def _nightly_source(r: Rehearsal) -> str:
    """The nightly's commit (a branch head) and version (from the head's patchlevel)."""
    from cpython_release.nightly import PATCHLEVEL, base_version, clone_file, nightly_version

    if r.repo is None:
        from cpython_release.demo_repo import make_demo_repo

        demo = make_demo_repo(r.workdir / "cpython", _demo_release(r), past_tag=True)
        r.repo, r.branch = demo.path, r.branch or demo.version.rsplit(".", 1)[0]
        where = f"embedded demo repository at {demo.path}, one commit past {demo.tag}"
    else:
        where = str(r.repo)
    if not r.branch:
        done = subprocess.run(
            ["git", "-C", str(r.repo), "symbolic-ref", "--quiet", "--short", "HEAD"],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise BadInput(f"{r.repo} has a detached HEAD: name the branch with --branch")
        r.branch = done.stdout.strip()
    for ref in (f"refs/heads/{r.branch}", f"refs/remotes/origin/{r.branch}"):
        # exactly a branch: show-ref takes no revision expressions (main~1 is not a head)
        if _exact_ref(r.repo, ref):
            head = _git(r.repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
            break
    else:
        raise BadInput(f"branch {r.branch!r} does not exist in {r.repo} (nothing was built)")
    if r.commit is not None and r.commit != head:
        raise BadInput(f"--commit {r.commit} is not the head of {r.branch} ({head})")
    r.commit = head
    base = base_version(clone_file(r.repo, head, PATCHLEVEL))
    derived = nightly_version(base, datetime.now(UTC).date())
    if not r.version_given:
        r.version = derived
    elif r.version.release != derived.release:
        raise BadInput(
            f"{r.version} does not follow {r.branch}'s PY_VERSION {base!r}: its nightly "
            f"leads to {derived.release} (for example {derived})"
        )
    return f"{where}: {r.branch} = {head[:12]}, PY_VERSION {base!r} -> nightly {r.version}"


def _demo_release(r: Rehearsal) -> str:
    """The demo's tagged release, one commit behind the nightly's head."""
    if not r.version_given:
        return DEFAULT_VERSION
    v = r.version
    if v.pre_kind is None and v.micro > 0:
        return f"{v.major}.{v.minor}.{v.micro - 1}"
    if v.pre_kind is not None and v.pre_number and v.pre_number > 1:
        return f"{v.xyz}{v.pre_kind}{v.pre_number - 1}"
    raise BadInput(
        f"the demo repository cannot make the release before {v.release}: give a nightly "
        "version whose release has a predecessor of the same kind (3.13.6.devN, 3.15.0a3.devN)"
    )


def pipe_plan(r: Rehearsal) -> str:
    assert r.commit is not None
    mode = "nightly" if r.nightly else "rehearsal"
    r.plan = make_plan(r.version, r.commit, ReleaseCycle.load(r.release_cycle), mode=mode)
    jobs = ", ".join(j for j, on in r.plan.jobs.items() if on) or "source only"
    return (
        f"{mode} of {r.version}, phase {r.plan.phase}; on GitHub: build-source, {jobs}; "
        "here: the Linux path"
    )


def pipe_build_source(r: Rehearsal) -> str:
    from cpython_release.source import build_source

    assert r.repo is not None and r.commit is not None
    fragment = build_source(r.repo, r.version, r.commit, r.artifacts, repository=r.repository)
    r.fragments.append(fragment)
    m = Manifest.load(fragment)
    return ", ".join(f"{a.name} {a.size / 1e6:.1f} MB" for a in m.artifacts)


def pipe_sbom(r: Rehearsal) -> str:
    from cpython_release.manifest import merge
    from cpython_release.sbom.stage import write_sboms

    merged = merge([Manifest.load(f) for f in r.fragments])
    with_sboms = write_sboms(r.artifacts, merged, log=r.log)
    fragment = r.workdir / "fragment-sbom.json"
    with_sboms.write(fragment)
    r.fragments.append(fragment)
    done = [a.sbom.name for a in with_sboms.artifacts if a.sbom]
    if not done:
        return "no SBOMs (see the notice above)"
    return f"{len(done)} SPDX 2.3 documents: {', '.join(done)}"


def pipe_sign(r: Rehearsal) -> str:
    from cpython_release.rehearsal.ephemeral_gpg import generate
    from cpython_release.sign.signer import ExpectedSigner
    from cpython_release.sign.stage import PlannedRelease, sign_release

    key = r.key or generate(r.workdir)
    r.keyring = key.public_keyring
    result = sign_release(
        r.artifacts,
        r.fragments,
        version=str(r.version),
        nightly=r.nightly,
        # the plan is the contract: exactly what the jobs run here produce
        planned=(
            PlannedRelease(str(r.version), r.commit, tuple(r.plan.artifacts_of({"build-source"})))
            if r.plan and r.commit
            else None
        ),
        gpg=True,
        gpg_key=key.armored_secret,
        sigstore_mode="auto",
        # Inside Actions with an OIDC token, sign as this toolkit's sign.yml would; the ref
        # comes from the token's job_workflow_ref.
        identity=ExpectedSigner(os.environ.get("GITHUB_REPOSITORY") or r.repository),
        log=r.log,
        warn=r.log,
    )
    r.manifest = result.manifest
    r.results["sign"] = result.to_dict()
    return (
        f"GPG (ephemeral key {key.fingerprint[-16:]}), SHA256SUMS; "
        f"Sigstore {result.sigstore}{': ' + result.sigstore_note if result.sigstore_note else ''}"
    )


def pipe_publish(r: Rehearsal) -> str:
    from cpython_release.publish.local import publish_local

    assert r.manifest is not None
    result = publish_local(r.manifest, r.artifacts, r.local_root)
    r.published = r.local_root / "www.python.org" / "ftp" / "python" / r.version.xyz
    r.results["publish"] = [a.to_dict() for a in result.actions]
    return f"{len(result.actions)} actions into {r.local_root}"


def pipe_verify(r: Rehearsal) -> str:
    from cpython_release.sigstore_policy import KeyringIdentity
    from cpython_release.verify.core import verify_release

    assert r.published is not None and r.repo is not None and r.keyring is not None
    # A local rehearsal has no Sigstore identity: it signed with an ephemeral OpenPGP key,
    # and that key is the signer its verification names (every file needs its .asc).
    report = verify_release(
        r.published,
        str(r.version),
        policy=KeyringIdentity(r.keyring),
        repo=r.repo,
        # python.org serves the files but not the manifest: check what was published against
        # the signed manifest and SHA256SUMS of the sign stage.
        manifest=r.artifacts / MANIFEST_NAME,
        sums=r.artifacts / "SHA256SUMS",
    )
    (r.workdir / "verify.json").write_text(report.to_json())
    r.results["verify"] = report.result
    if not report.ok:
        raise CheckFailed(
            f"verification of the published release failed ({report.result})",
            list(report.problems),
        )
    return f"{report.result}: what users download matches the manifest, signatures and SBOMs"


PIPES: list[tuple[str, Callable[[Rehearsal], str]]] = [
    ("source", pipe_source),
    ("plan", pipe_plan),
    ("build-source", pipe_build_source),
    ("sbom", pipe_sbom),
    ("sign", pipe_sign),
    ("publish", pipe_publish),
    ("verify", pipe_verify),
]


def rehearsal_markdown(stages: list[StageTiming], table: str) -> str:
    """The rehearsal's Markdown summary: the timeline table and its Gantt chart."""
    chart = gantt_chart(bars_from_stages(stages), title="Release rehearsal")
    return "### Release rehearsal\n\n" + table + ("\n" + chart if chart else "")


# What each pipe takes from earlier ones. A rehearsal starts from an empty work directory,
# so a skipped pipe's output is simply missing for the pipes after it.
NEEDS: dict[str, tuple[str, ...]] = {
    "plan": ("source",),
    "build-source": ("source",),
    "sbom": ("build-source",),
    "sign": ("build-source",),
    "publish": ("sign",),
    "verify": ("source", "sign", "publish"),
}


Pipes = list[tuple[str, Callable[[Rehearsal], str]]]


def check_skips(r: Rehearsal, skip: set[str], pipes: Pipes | None = None) -> None:
    """Refuse a --skip that leaves a later pipe without its input, before anything is
    touched (the previous rehearsal is still there)."""
    pipes = PIPES if pipes is None else pipes
    unknown = skip - {name for name, _ in pipes}
    if unknown:
        raise BadInput(f"--skip: no pipe named {', '.join(sorted(unknown))}")
    given = set()
    if r.repo is not None and r.commit is not None and not r.nightly:
        given.add("source")  # --repo and --commit say what pipe_source would find
    needs = dict(NEEDS)
    if pipes is not PIPES:  # rehearse --full: prepare stands in for source
        needs = {k: tuple("prepare" if n == "source" else n for n in v) for k, v in needs.items()}
        needs["finish"] = ("prepare", "sign")
    for name, _ in pipes:
        if name in skip:
            continue
        missing = [n for n in needs.get(name, ()) if n in skip and n not in given]
        if missing:
            how = "give --repo and --commit, or " if missing == ["source"] and not r.nightly else ""
            raise BadInput(
                f"--skip {' '.join(missing)} leaves the {name} pipe without its input: "
                f"{how}skip {name} too (nothing was changed)"
            )


def run(
    r: Rehearsal, skip: set[str] | None = None, fmt: str = "text", pipes: Pipes | None = None
) -> int:
    """Run every pipe in order; stop at the first failure. Returns the exit status."""
    check_skips(r, skip or set(), pipes)
    prepare_workdir(r.workdir, r.repo)
    status = 0
    for name, pipe in PIPES if pipes is None else pipes:
        if name in (skip or set()):
            r.stages.append(StageTiming(name, None, None, "skipped"))
            continue
        start = datetime.now(UTC)
        t0 = time.perf_counter()
        r.log(f"==> {name}")
        try:
            detail = pipe(r)
            conclusion = "success"
        except ReleaseError as exc:
            detail, conclusion, status = str(exc), "failure", exc.exit_code
        end = datetime.fromtimestamp(start.timestamp() + (time.perf_counter() - t0), UTC)
        r.stages.append(StageTiming(name, start, end, conclusion))
        r.results.setdefault("details", {})[name] = detail
        r.log(f"    {conclusion}: {detail}")
        if status:
            break
    table = timeline_table(r.stages)
    if fmt == "text":
        print(table)
    markdown = rehearsal_markdown(r.stages, table)
    write_summary(markdown)
    (r.workdir / "summary.md").write_text(markdown, encoding="utf-8")
    record = {
        "version": str(r.version),
        "commit": r.commit,
        "stages": [s.to_dict() for s in r.stages],
        "results": r.results,
        "exit_status": status,
    }
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    (r.workdir / "rehearsal.json").write_text(text)
    if fmt == "json":
        sys.stdout.write(text)
    return status
