#!/usr/bin/env bash
# Create one virtual environment per Python peer under benchmarks/_work/venvs/ (svy, samplics),
# and a tiny shared library dir with threadpoolctl (used only to report the BLAS in use).
# Idempotent: an existing venv whose import check passes is kept. R's `survey` is not installed
# here (it comes from Debian: apt-get install -y r-base-core r-cran-survey r-cran-data.table).
# Usage: bash benchmarks/setup_peers.sh [python-executable]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
work="${CF_PEERS_DIR:-$here/_work}"  # CF_PEERS_DIR: keep the venvs outside the repo
py="${1:-${PYTHON:-python3}}"
mkdir -p "$work/venvs" "$work/logs"

if [ ! -f "$work/pylib/threadpoolctl.py" ]; then
  "$py" -m pip install --quiet --target "$work/pylib" threadpoolctl >"$work/logs/pylib.log" 2>&1 \
    || echo "threadpoolctl: install failed (BLAS info will come from numpy.show_config)"
fi

make_venv() {  # name, import-name, pip requirements...
  local name="$1" mod="$2"; shift 2
  local venv="$work/venvs/$name"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import $mod, pyarrow" >/dev/null 2>&1; then
    echo "$name: ok (existing venv)"; return 0
  fi
  rm -rf "$venv"
  if "$py" -m venv "$venv" >"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -m pip install --quiet --upgrade pip >>"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -m pip install --quiet "$@" pyarrow >>"$work/logs/$name.log" 2>&1 \
     && "$venv/bin/python" -c "import $mod" >>"$work/logs/$name.log" 2>&1; then
    echo "$name: installed ($("$venv/bin/python" -m pip show "$name" 2>/dev/null | grep '^Version'))"
  else
    echo "$name: INSTALL FAILED (see $work/logs/$name.log)"
    touch "$venv.failed"
    return 1
  fi
}

make_venv svy svy svy
make_venv samplics samplics samplics
Rscript -e 'suppressMessages({library(survey); library(data.table)}); cat("R survey", as.character(packageVersion("survey")), "\n")' \
  || echo "R survey: NOT AVAILABLE (apt-get install -y r-base-core r-cran-survey r-cran-data.table)"
exit 0
