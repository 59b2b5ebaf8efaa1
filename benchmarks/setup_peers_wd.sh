#!/usr/bin/env bash
# Virtual environments for the weighting (T1) and driver (T4) peers, under benchmarks/_work/venvs/.
# svy and samplics come from benchmarks/setup_peers.sh (run it too). Idempotent: a venv whose import
# check passes is kept. A failed install is recorded as venvs/NAME.failed and reported by the runners.
# Usage: bash benchmarks/setup_peers_wd.sh [python-executable]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
work="${CF_PEERS_DIR:-$here/_work}"  # CF_PEERS_DIR: keep the venvs outside the repo
py="${1:-${PYTHON:-python3}}"
mkdir -p "$work/venvs" "$work/logs"

make_venv() {  # name, import-check, pip requirements...
  local name="$1" check="$2"; shift 2
  local venv="$work/venvs/$name"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
    echo "$name: ok (existing venv)"; rm -f "$venv.failed"; return 0
  fi
  rm -rf "$venv" "$venv.failed"
  if "$py" -m venv "$venv" >"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -m pip install --quiet --upgrade pip >>"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -m pip install --quiet "$@" >>"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -c "$check" >>"$work/logs/$name.log" 2>&1; then
    echo "$name: installed"
  else
    echo "$name: INSTALL FAILED (see $work/logs/$name.log)"
    touch "$venv.failed"
    return 1
  fi
}

make_venv weightipy "import weightipy, pyarrow" weightipy pyarrow
make_venv balance "import balance, pyarrow" balance "numpy<2" "pyarrow<18"
make_venv ipfn "import ipfn, pyarrow" ipfn pyarrow
make_venv dominance "from dominance_analysis import Dominance; import pyarrow" dominance-analysis "numpy<2" "ipython<9" "pyarrow<18"
make_venv relativeimp "from relativeImp import relativeImp; import pyarrow" relativeImp pyarrow
exit 0
