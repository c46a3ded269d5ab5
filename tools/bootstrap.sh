#!/usr/bin/env bash
# Prepare a fresh Debian/Ubuntu machine: the system tools the pipeline and its tests use,
# and a virtual environment (.venv) with the toolkit and its pinned test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/lib/openssh/sftp-server ] || need+=(openssh-sftp-server)
command -v gpg >/dev/null || need+=(gnupg)
command -v xz >/dev/null || need+=(xz-utils)
command -v git >/dev/null || need+=(git)
command -v make >/dev/null || need+=(make)
command -v cc >/dev/null || need+=(gcc)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v sha256sum >/dev/null || need+=(coreutils)
command -v abidiff >/dev/null || need+=(abigail-tools)  # upgrade-check's exported-ABI check
if [ ${#need[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}" >&2
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: $python is older than 3.11; set PYTHON=python3.11 (or newer)" >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "bootstrap: ready ($(.venv/bin/cpython-release --version))" >&2
