"""Benchmark: ``verify`` of a ~30-file, ~400 MB release against ``sha256sum`` of the same files.

    .venv/bin/python bench/bench_verify.py [--size-mb 400] [--repeat 3] [--dir DIR]

Builds a release directory shaped like 3.14.1 on python.org (tarballs, docs, Windows
installers and packages, macOS, Android) with real companions: Sigstore-shaped bundles
signed by a local CA (the production verifier cannot be fed bundles made here), SPDX SBOMs
of python.org's size (about 5,000 file entries for a source tarball) and a signed manifest
and SHA256SUMS. Then, in the same run and on a warm page cache, it times

- baseline: ``sha256sum`` over the artifacts (what a careful human would run);
- verify: a fresh Python process running ``cpython-release verify`` (start-up, imports and
  argument parsing included), which hashes every artifact and companion once, checks every
  bundle, validates every SBOM. The local-CA bundles cost less to check than real ones, so
  each bundle check also verifies the real rfc8785 fixture bundle with sigstore, offline.

and prints the ratio (best of ``--repeat``). Target: verify <= 1.5 x sha256sum.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

VERSION = "3.14.1"
# (name, relative size): python.org's 3.14 directory, roughly
LAYOUT: list[tuple[str, float]] = [
    ("Python-{v}.tgz", 29),
    ("Python-{v}.tar.xz", 22),
    ("python-{v}-docs-html.tar.bz2", 8),
    ("python-{v}-docs-html.zip", 12),
    ("python-{v}-docs-text.tar.bz2", 2),
    ("python-{v}-docs-text.zip", 3),
    ("python-{v}-docs-texinfo.tar.bz2", 2),
    ("python-{v}-docs-texinfo.zip", 3),
    ("python-{v}-docs.epub", 6),
    ("python-{v}.exe", 27),
    ("python-{v}-amd64.exe", 28),
    ("python-{v}-arm64.exe", 27),
    ("python-{v}-embed-win32.zip", 10),
    ("python-{v}-embed-amd64.zip", 11),
    ("python-{v}-embed-arm64.zip", 10),
    ("python-{v}-win32.zip", 16),
    ("python-{v}-amd64.zip", 17),
    ("python-{v}-arm64.zip", 16),
    ("python-{v}t-win32.zip", 16),
    ("python-{v}t-amd64.zip", 17),
    ("python-{v}t-arm64.zip", 16),
    ("python-{v}-test-amd64.zip", 9),
    ("python-{v}-embeddable-amd64.zip", 10),
    ("windows-{v}.json", 0.01),
    ("python-{v}-macos11.pkg", 70),
    ("python-{v}-aarch64-linux-android.tar.gz", 25),
    ("python-{v}-x86_64-linux-android.tar.gz", 25),
]
WITH_SBOM = ("Python-", "python-{v}.exe", "-amd64.exe", "-arm64.exe", "-embed-")


def build(directory: Path, size_mb: float) -> list[str]:
    from cryptography.hazmat.primitives.serialization import Encoding

    from cpython_release.hashing import sha256_file
    from cpython_release.inventory import classify
    from cpython_release.manifest import Artifact, FileRef, Manifest, ReleaseInfo, Signature
    from cpython_release.verify.localca import LocalCA
    from cpython_release.version import ReleaseVersion
    from verify.verify_support import pipeline_signer, sbom_for

    v = ReleaseVersion.parse(VERSION)
    ca = LocalCA("bench CA")
    (directory.parent / "ca.pem").write_bytes(ca.certificate.public_bytes(Encoding.PEM))
    signer = pipeline_signer(ca, version=VERSION)
    total = sum(s for _, s in LAYOUT)
    block = os.urandom(1 << 20)
    artifacts = []
    for i, (template, rel) in enumerate(LAYOUT):
        name = template.format(v=v)
        size = max(1024, int(rel / total * size_mb * (1 << 20)))
        with (directory / name).open("wb") as fh:
            fh.write(i.to_bytes(4, "big"))
            left = size - 4
            while left > 0:
                fh.write(block[: min(left, len(block))])
                left -= len(block)
        d = sha256_file(directory / name)
        bundle = directory / (name + ".sigstore")
        bundle.write_bytes(signer.sign(d.sha256))
        b = sha256_file(bundle)
        sbom_ref = None
        if any(m.format(v=v) in name for m in WITH_SBOM) and not name.endswith(".json"):
            files = 5000 if name.startswith("Python-") else 0
            sbom = directory / (name + ".spdx.json")
            sbom.write_text(json.dumps(sbom_for(name, d.sha256, VERSION, files), indent=2))
            s = sha256_file(sbom)
            sbom_ref = FileRef(sbom.name, s.size, s.sha256)
        p = classify(v, name)
        artifacts.append(
            Artifact(
                name,
                p.kind,
                p.platform,
                d.size,
                d.sha256,
                "bench",
                p.arch,
                signatures=(Signature(bundle.name, b.size, b.sha256),),
                sbom=sbom_ref,
            )
        )
    manifest = Manifest(
        ReleaseInfo(VERSION, v.tag, "0" * 40, "python/cpython", "0.1.0", "2025-12-02T00:00:00Z"),
        tuple(artifacts),
    )
    manifest.write(directory / "release-manifest.json")
    (directory / "SHA256SUMS").write_text(
        "".join(f"{a.sha256}  {a.name}\n" for a in sorted(artifacts, key=lambda a: a.name))
    )
    for meta in ("release-manifest.json", "SHA256SUMS"):
        (directory / (meta + ".sigstore")).write_bytes(
            signer.sign(sha256_file(directory / meta).sha256)
        )
    return [a.name for a in artifacts]


CHILD = """
import sys
sys.path[:0] = {paths!r}
from pathlib import Path
from cryptography import x509
from cpython_release.sigstore_policy import PipelineIdentity
from cpython_release.verify import core
from cpython_release.verify.bundles import SigstoreBundleVerifier
from cpython_release.verify.localca import LocalCAVerifier

class WithSigstoreCost:
    # Checks the local-CA bundle, and pays what production pays per bundle: one offline
    # sigstore verification of a real public-good bundle (sigstore imported, trust root
    # loaded, certificate chain, SCT, inclusion proof and signature checked).
    def __init__(self, inner, real):
        self.inner, self.real, self.sigstore = inner, real, SigstoreBundleVerifier()
        self.policy = PipelineIdentity("trailofbits/rfc8785.py", "trailofbits/rfc8785.py",
                                       ("refs/tags/v0.1.2",), workflow="release.yml")
    def prepare(self):
        self.sigstore.prepare()
    def verify(self, sha256, bundle, identity):
        if self.real is not None:
            v = self.sigstore.verify({rfc_sha!r}, self.real, self.policy)
            assert v.status == "ok", v
        return self.inner.verify(sha256, bundle, identity)

real = Path({real!r}).read_bytes() if {real!r} else None
ca = x509.load_pem_x509_certificate(Path({ca!r}).read_bytes())
core.SigstoreBundleVerifier = lambda offline=True: WithSigstoreCost(LocalCAVerifier(ca), real)
from cpython_release.cli import main  # the real command, argument parsing and all
sys.exit(main(["verify", {version!r}, {directory!r}, "--toolkit-repository",
               "python/cpython-release", "--allowed-ref", "refs/tags/v1.0.0", "--format", "json"]))
"""
STARTUP = """
import sys
sys.path[:0] = {paths!r}
from cpython_release.cli import build_parser
build_parser()
from cpython_release.verify import core, sbom
from cpython_release.verify.bundles import SigstoreBundleVerifier
SigstoreBundleVerifier().prepare()
import spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser
"""
RFC_SHA = "c4e92e9ecc828bef2aa7dba1de8ac983511f7532a0df11c770d39099a25cf201"
REAL_BUNDLE = ROOT / "tests" / "data" / "sigstore" / "rfc8785-0.1.2-wheel.sigstore"


def time_it(cmd: list[str]) -> tuple[float, float, str]:
    """Wall and CPU (user + system, this process's descendants) seconds, and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=float, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", type=Path, help="build here (kept); default a temporary directory")
    args = ap.parse_args()
    if shutil.which("sha256sum") is None:
        print("sha256sum not found", file=sys.stderr)
        return 2
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-verify-"))
    directory = root / VERSION
    try:
        directory.mkdir(parents=True, exist_ok=False)
        t = time.perf_counter()
        names = build(directory, args.size_mb)
        files = sorted(p for p in directory.iterdir() if p.is_file())
        total = sum(p.stat().st_size for p in files)
        print(
            f"built {len(names)} artifacts, {len(files)} files, {total / 1e6:.0f} MB "
            f"in {time.perf_counter() - t:.1f}s ({os.cpu_count()} CPUs)"
        )
        subprocess.run(["cat", *map(str, files)], stdout=subprocess.DEVNULL, check=True)  # warm
        real = str(REAL_BUNDLE)  # in the repository: the production per-bundle cost is included
        child = CHILD.format(
            paths=[str(ROOT / "scripts"), str(ROOT / "tests")],
            ca=str(root / "ca.pem"),
            directory=str(directory),
            version=VERSION,
            real=real,
            rfc_sha=RFC_SHA,
        )
        base: list[tuple[float, float]] = []
        ver: list[tuple[float, float]] = []
        for _ in range(args.repeat):
            wall, cpu, _ = time_it(["sha256sum", *(str(directory / n) for n in names)])
            base.append((wall, cpu))
            wall, cpu, out = time_it([sys.executable, "-c", child])
            ver.append((wall, cpu))
            if json.loads(out)["result"] != "valid":
                print(f"verify did not pass: {out}", file=sys.stderr)
                return 1
        startup = [
            time_it([sys.executable, "-c", STARTUP.format(paths=[str(ROOT / "scripts")])])
            for _ in range(args.repeat)
        ]
        sw, sc = min(w for w, _, _ in startup), min(c for _, c, _ in startup)
        bw, bc = min(w for w, _ in base), min(c for _, c in base)
        vw, vc = min(w for w, _ in ver), min(c for _, c in ver)
        print(f"load average {os.getloadavg()[0]:.1f}; best of {args.repeat}, wall (cpu) seconds")
        print(f"  sha256sum over the {len(names)} artifacts:       {bw:6.2f} ({bc:.2f})")
        print(
            f"  verify (every file hashed once, {len(files) - len(names)} companions, "
            f"bundles, SBOMs): {vw:6.2f} ({vc:.2f})"
        )
        print(
            f"  of which start-up (interpreter, CLI, sigstore trust root, spdx-tools "
            f"imports): {sw:.2f} ({sc:.2f})"
        )
        ratio = vw / bw
        print(
            f"ratio verify / sha256sum, wall: {ratio:.2f} (target <= 1.5: "
            f"{'OK' if ratio <= 1.5 else 'OVER'}); cpu: {vc / bc:.2f}"
        )
        return 0 if ratio <= 1.5 else 1
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
