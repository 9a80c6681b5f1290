#!/usr/bin/env bash
# make publish-check: what a maintainer about to publish hostnet.dockerhost runs, with the ecosystem's own tools
# (tests/publish/requirements.txt, on PATH):
#  1. `ansible-galaxy collection build` - the tarball holds only what users need (tarball_contents.py);
#  2. galaxy-importer on it, as Galaxy runs it (ansible-lint on, ansible-test off): no error, no warning;
#  3. an execution environment that installs the tarball (execution-environment.yml): `ansible-builder create`
#     writes its build context, and the build's own steps that need no container engine run here - the
#     collection installed from the tarball, `ansible-builder introspect` of what it needs.
# Everything goes to .build/publish/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$repo/.build/publish"
rm -rf "$out"
mkdir -p "$out"
cd "$repo"

echo "publish-check: build"
ansible-galaxy collection build --output-path "$out" . >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
tarballs=("$out"/hostnet-dockerhost-*.tar.gz)
[[ ${#tarballs[@]} -eq 1 && -f "${tarballs[0]}" ]] || { echo "publish-check: no single tarball in $out" >&2; exit 1; }
tarball=${tarballs[0]}
python "$here/tarball_contents.py" "$tarball"

echo "publish-check: galaxy-importer $(python -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))')"
(
  cd "$out"
  GALAXY_IMPORTER_CONFIG=/dev/null GALAXY_IMPORTER_RUN_ANSIBLE_TEST=false GALAXY_IMPORTER_RUN_ANSIBLE_LINT=true \
    python -m galaxy_importer.main "$tarball" >"$out/import.log" 2>&1
) || { cat "$out/import.log"; echo "publish-check: galaxy-importer failed" >&2; exit 1; }
if grep -E '^(WARNING|ERROR|CRITICAL)' "$out/import.log"; then
  echo "publish-check: galaxy-importer reported the lines above (full log: $out/import.log)" >&2
  exit 1
fi
grep -q '^Importer processing completed successfully' "$out/import.log" || { cat "$out/import.log"; exit 1; }

echo "publish-check: execution environment"
mkdir -p "$out/ee"
cp "$here/execution-environment.yml" "$out/ee/"
cp "$tarball" "$out/ee/hostnet-dockerhost.tar.gz"
ansible-builder create -f "$out/ee/execution-environment.yml" -c "$out/ee/context" --output-filename Containerfile \
  >"$out/ee/create.log" 2>&1 || { cat "$out/ee/create.log"; exit 1; }
cmp "$tarball" "$out/ee/context/_build/collections/hostnet-dockerhost.tar.gz"
grep -q 'ansible-galaxy collection install' "$out/ee/context/Containerfile" || {
  echo "publish-check: the Containerfile installs no collection" >&2; exit 1; }
# The build's galaxy stage and its introspect step, without a container engine.
ANSIBLE_COLLECTIONS_PATH="$out/ee/installed" ansible-galaxy collection install --force -p "$out/ee/installed" "$tarball" \
  >"$out/ee/install.log" 2>&1 || {
  cat "$out/ee/install.log"; exit 1; }
ansible-builder introspect --sanitize "$out/ee/installed" >"$out/ee/introspect.txt" 2>&1 || {
  cat "$out/ee/introspect.txt"; exit 1; }
grep -q "jmespath>=1.0  # from collection hostnet.dockerhost" "$out/ee/introspect.txt" || {
  cat "$out/ee/introspect.txt"; echo "publish-check: introspect does not see the collection's requirements" >&2; exit 1; }
echo "publish-check: passed ($(basename "$tarball"), $(du -k "$tarball" | cut -f1) KiB)"
