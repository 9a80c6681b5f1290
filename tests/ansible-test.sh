#!/usr/bin/env bash
# ansible-test COMMAND [ARGS...] the standard way, without containers, on this checkout: ansible-test wants
# the collection at .../ansible_collections/hostnet/dockerhost as a real directory, so the tracked and new
# files are copied to .build/ansible-test/<COMMAND>/ansible_collections/hostnet/dockerhost first (one tree per
# command, so that sanity and units can run side by side). Used by `make sanity`, `make units-ansible-test`
# and `make integration-ansible-test`; the Python is the one of the ansible-test on PATH.
set -euo pipefail
command=${1:?usage: tests/ansible-test.sh sanity|units|integration [ARGS...]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
top="$repo/.build/ansible-test/$command"
dest="$top/ansible_collections/hostnet/dockerhost"
rm -rf "$top"
mkdir -p "$dest"
cd "$repo"
git ls-files -z -co --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$dest"
# Mermaid's parser (npm ci --prefix tests/mermaid) is git-ignored: the units copy uses the checkout's (not the
# sanity copy: its symlinks test refuses a link to a directory).
if [ "$command" = units ] && [ -d "$repo/tests/mermaid/node_modules" ]; then
  ln -s "$repo/tests/mermaid/node_modules" "$dest/tests/mermaid/node_modules"
fi
cd "$dest"
git init -q && git add -A >/dev/null  # ansible-test lists the collection's files through git
# ansible-test bootstraps pip with a script from a host we cannot reach; give it the local stand-in.
pip_version=$(python - <<'PY'
import pathlib, re, ansible_test
source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
[ -f "$cache" ] || { mkdir -p "$(dirname "$cache")" && cp "$repo/tests/sanity/get_pip_standin.py" "$cache"; }
py=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec ansible-test "$command" --python "$py" --color no "$@"
