from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpython_release.errors import BadInput, CheckFailed
from cpython_release.hashing import sha256_file
from cpython_release.integrity import check_directory
from cpython_release.manifest import (
    Artifact,
    FileRef,
    Manifest,
    ReleaseInfo,
    Signature,
    created_from_timestamp,
    merge,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
RELEASE = ReleaseInfo(
    "3.13.5", "v3.13.5", COMMIT, "python/cpython", "0.1.0", created_from_timestamp(1749545000)
)


def art(name: str, data: bytes, directory: Path | None = None, **kw: object) -> Artifact:
    if directory is not None:
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    import hashlib

    fields: dict[str, object] = dict(kind="source", platform="source", producer="build-source")
    fields.update(kw)
    return Artifact(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), **fields)  # type: ignore[arg-type]


def test_created_is_utc_commit_time() -> None:
    assert created_from_timestamp(0) == "1970-01-01T00:00:00Z"
    assert RELEASE.created == "2025-06-10T08:43:20Z"


def test_roundtrip_is_canonical() -> None:
    a = art("b.tgz", b"b", content_digest="sha256:" + "1" * 64)
    b = art("a.tar.xz", b"a")
    m1 = Manifest(RELEASE, (a, b))
    m2 = Manifest(RELEASE, (b, a))
    assert m1.dumps() == m2.dumps()
    again = Manifest.loads(m1.dumps())
    assert again.dumps() == m1.dumps()
    assert json.loads(m1.dumps())["artifacts"][0]["name"] == "a.tar.xz"


def test_merge_fragments_and_conflicts() -> None:
    src = Manifest(RELEASE, (art("Python-3.13.5.tgz", b"x"),))
    win = Manifest(
        RELEASE,
        (
            art(
                "python-3.13.5-amd64.exe",
                b"y",
                platform="windows",
                kind="installer",
                arch="amd64",
                producer="build-windows",
            ),
        ),
    )
    merged = merge([src, win, src])
    assert merged.names() == ["Python-3.13.5.tgz", "python-3.13.5-amd64.exe"]
    evil = Manifest(RELEASE, (art("Python-3.13.5.tgz", b"z"),))
    with pytest.raises(CheckFailed) as info:
        merge([src, evil])
    assert "Python-3.13.5.tgz" in str(info.value) and "sha256" in str(info.value)


def test_merge_adds_signatures() -> None:
    base = art("f.tgz", b"x")
    sig = Signature("f.tgz.sigstore", 3, "2" * 64, "sigstore")
    signed = Artifact(
        **{
            **base.__dict__,
            "signatures": (sig,),
            "sbom": FileRef("f.tgz.spdx.json", 1, "3" * 64),
        }
    )
    merged = merge([Manifest(RELEASE, (base,)), Manifest(RELEASE, (signed,))])
    assert merged.artifacts[0].signatures == (sig,)
    assert merged.artifacts[0].sbom is not None


def test_merge_refuses_signatures_attached_by_another_job(tmp_path: Path) -> None:
    """A fragment of another job repeats build-source's artifact, adding a signature."""
    base = art("Python-3.13.5.tgz", b"x")
    sig = Signature("Python-3.13.5.tgz.sigstore", 3, "2" * 64, "sigstore")
    evil = Artifact(**{**base.__dict__, "producer": "build-docs", "signatures": (sig,)})
    with pytest.raises(CheckFailed) as info:
        merge([Manifest(RELEASE, (base,)), Manifest(RELEASE, (evil,))])
    text = str(info.value)
    assert "only the job that built it may attach signatures" in text
    assert "Python-3.13.5.tgz.sigstore" in text
    # the CLI: exit 1, nothing written
    paths = []
    for i, m in enumerate((Manifest(RELEASE, (base,)), Manifest(RELEASE, (evil,)))):
        paths.append(tmp_path / f"f{i}.json")
        m.write(paths[-1])
    from cpython_release.cli import main

    assert main(["manifest", "merge", *map(str, paths), "-o", str(tmp_path / "m.json")]) == 1
    assert not (tmp_path / "m.json").exists()
    # a rebuild by another job that repeats the artifact identically still merges
    rebuilt = Artifact(**{**base.__dict__, "producer": "rebuild"})
    assert merge([Manifest(RELEASE, (base,)), Manifest(RELEASE, (rebuilt,))]).names() == [
        "Python-3.13.5.tgz"
    ]


def test_merge_refuses_other_release() -> None:
    other = ReleaseInfo(**{**RELEASE.__dict__, "commit": "f" * 40})
    with pytest.raises(CheckFailed, match="different releases"):
        merge([Manifest(RELEASE), Manifest(other)])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema_version=2), "newer than this toolkit"),
        (lambda d: d.pop("release"), "'release' is a required property"),
        (lambda d: d["release"].update(commit="abc"), "/release/commit"),
        (lambda d: d["artifacts"][0].update(sha256="xyz"), "/artifacts/0/sha256"),
        (lambda d: d["artifacts"][0].update(name="../etc/passwd"), "/artifacts/0/name"),
        (lambda d: d["artifacts"].append(dict(d["artifacts"][0])), "more than once"),
        (lambda d: d.update(extra=1), "Additional properties"),
    ],
)
def test_malformed_manifests_fail_clearly(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = Manifest(RELEASE, (art("a.tgz", b"a"),)).to_dict()
    mutate(data)
    with pytest.raises(BadInput, match=message.replace("/", "/").replace("(", r"\(")):
        Manifest.from_dict(data)


def test_not_json(tmp_path: Path) -> None:
    p = tmp_path / "m.json"
    p.write_text("{nope")
    with pytest.raises(BadInput, match="not JSON"):
        Manifest.load(p)


def test_integrity_names_every_offender(tmp_path: Path) -> None:
    a = art("a.tgz", b"aaaa", tmp_path)
    b = art("b.tgz", b"bbbb", tmp_path)
    c = art("sub/c.msi", b"cccc", tmp_path)
    d = art("d.tgz", b"dddd")  # never written
    m = Manifest(RELEASE, (a, b, c, d))
    (tmp_path / "a.tgz").write_bytes(b"aaab")  # flipped byte
    (tmp_path / "b.tgz").write_bytes(b"bbb")  # truncated
    (tmp_path / "extra.txt").write_text("?")
    report = check_directory(m, tmp_path)
    assert report.missing == ["d.tgz"]
    assert any("sha256 mismatch: a.tgz" in p for p in report.mismatched)
    assert any("size mismatch: b.tgz" in p for p in report.mismatched)
    assert report.unlisted == ["extra.txt"]
    assert report.ok(strict=False) is False
    assert report.checked == 3
    assert sha256_file(tmp_path / "sub/c.msi").sha256 == c.sha256


def test_cli_manifest_merge_check_show(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = art("a.tgz", b"aaaa", tmp_path)
    f1 = tmp_path / "frag1.json"
    f2 = tmp_path / "frag2.json"
    Manifest(RELEASE, (a,)).write(f1)
    Manifest(RELEASE, (art("b.tgz", b"bb", tmp_path),)).write(f2)
    out = tmp_path / "release-manifest.json"
    assert cli("manifest", "merge", str(f1), str(f2), "-o", str(out)).code == 0
    # fragments are unlisted files: reported, fatal only with --strict
    r = cli("manifest", "check", str(out))
    assert r.code == 0 and "unlisted file: frag1.json" in r.err
    assert cli("manifest", "check", str(out), "--strict").code == 1
    f1.unlink()
    f2.unlink()
    assert cli("manifest", "check", str(out), "--strict").code == 0
    (tmp_path / "b.tgz").write_bytes(b"bX")
    r = cli("manifest", "check", str(out))
    assert r.code == 1 and "sha256 mismatch: b.tgz" in r.err
    shown = cli("manifest", "show", str(out))
    assert shown.code == 0 and "a.tgz" in shown.out and COMMIT in shown.out
    assert cli("manifest", "show", str(tmp_path / "nope.json")).code == 2


def test_cli_fragment_classifies(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exe = tmp_path / "python-3.13.5-amd64.exe"
    exe.write_bytes(b"MZ")
    out = tmp_path / "frag.json"
    r = cli(
        "manifest",
        "fragment",
        "3.13.5",
        str(exe),
        "--commit",
        COMMIT,
        "--repository",
        "python/cpython",
        "--created",
        "1749545000",
        "--producer",
        "build-windows",
        "-o",
        str(out),
    )
    assert r.code == 0, r.err
    m = Manifest.load(out)
    assert (m.artifacts[0].platform, m.artifacts[0].arch) == ("windows", "amd64")
    bad = tmp_path / "python-3.13.4-amd64.exe"
    bad.write_bytes(b"MZ")
    r = cli(
        "manifest",
        "fragment",
        "3.13.5",
        str(bad),
        "--commit",
        COMMIT,
        "--repository",
        "python/cpython",
        "--created",
        "1",
        "--producer",
        "x",
        "-o",
        str(out),
    )
    assert r.code == 2 and "not a file of a 3.13.5 release" in r.err
