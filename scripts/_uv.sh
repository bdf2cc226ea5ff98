# Sourced by scripts/serve and scripts/test (from the checkout's root): sets UV to the path
# of a working uv, installing one into .tools/ (git-ignored) when there is none.
#
# Why not "pip install uv" into the Python we were given: Debian's and Ubuntu's own Python
# refuses that (PEP 668, externally-managed-environment), and on a Python whose bin/ is not
# on PATH the installed uv cannot be found by name. A private venv works with any Python
# 3.11+ and never touches the system's packages; calling uv by path makes PATH irrelevant.
#
# Set PYTHON to choose the interpreter that bootstraps (default: python3).

export UV_PYTHON_DOWNLOADS=never  # use a Python that is installed; never fetch one

_cc_relay_find_uv() {
  local python="${PYTHON:-python3}"
  if [ -x .tools/bin/uv ]; then
    UV="$PWD/.tools/bin/uv"
  elif command -v uv >/dev/null 2>&1; then
    UV="$(command -v uv)"
  elif UV="$("$python" -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null)" \
      && [ -x "$UV" ]; then
    :  # installed as a module of that Python, whose bin/ is not on PATH
  else
    echo "setting up uv in .tools/ (once)" >&2
    rm -rf .tools
    if "$python" -m venv .tools 2>/dev/null; then
      .tools/bin/python -m pip install --quiet --disable-pip-version-check uv
    else
      # No ensurepip (Debian without python3-venv): an empty venv, filled by the
      # system's pip running on the venv's behalf, which PEP 668 allows.
      "$python" -m venv --without-pip .tools
      "$python" -m pip --python .tools/bin/python install --quiet \
        --disable-pip-version-check uv
    fi
    UV="$PWD/.tools/bin/uv"
  fi
  "$UV" --version >/dev/null
}

_cc_relay_find_uv
export UV
