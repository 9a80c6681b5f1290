#!/usr/bin/env bash
# make docs: the collection's docs site, built by antsibull-docs as docs.ansible.com builds collection docs.
#  1. the strict lint: every plugin's and role's documentation against the schema, its markup, and every
#     reference to a plugin or role of this collection or ansible.builtin (antsibull-docs lint-collection-docs);
#  2. the site: RST from the installed documentation (antsibull-docs collection), HTML by sphinx-build in
#     .build/docs-site/build/html. The build fails on every warning except the one this machine cannot avoid:
#     intersphinx inventories of docs.ansible.com and docs.python.org fetched over the network.
# The tools come from tests/publish/requirements.txt (on PATH); the collection from .build/collections.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/.build/docs-site"
cd "$repo"
mkdir -p .build/collections/ansible_collections/hostnet
ln -sfn "$repo" .build/collections/ansible_collections/hostnet/dockerhost
export ANSIBLE_COLLECTIONS_PATH="$repo/.build/collections"

echo "docs: antsibull-docs lint-collection-docs (strict)"
antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all --disallow-unknown-collection-refs \
  --check-extra-docs-refs .build/collections/ansible_collections/hostnet/dockerhost

echo "docs: the site"
rm -rf "$out"
mkdir -m 0755 "$out"
antsibull-docs sphinx-init --use-current --dest-dir "$out" hostnet.dockerhost >"$out.init.log" 2>&1 || {
  cat "$out.init.log"; exit 1; }
(
  cd "$out"
  mkdir -p rst
  antsibull-docs --config-file antsibull-docs.cfg collection --use-current --dest-dir rst hostnet.dockerhost
  sphinx-build -M html rst build -c . --keep-going -q -w "$out/warnings.txt" >"$out/sphinx.log" 2>&1 || true
)
# Without the network the intersphinx inventories of docs.ansible.com, docs.python.org and jinja cannot be
# fetched: those warnings, and the labels that only docs.ansible.com's inventory defines, are expected here.
# Anything else fails.
offline='failed to reach any of the inventories|^intersphinx inventory .* not (fetchable|readable)'
offline+="|WARNING: undefined label: '(common_return_values|action_plugins|ansible_configuration_settings)'"
if grep -v -E "$offline" "$out/warnings.txt" | grep -q .; then
  grep -v -E "$offline" "$out/warnings.txt"
  echo "docs: sphinx-build warned (above; log: $out/sphinx.log)" >&2
  exit 1
fi
[[ -f "$out/build/html/collections/hostnet/dockerhost/index.html" ]] || {
  cat "$out/sphinx.log"; echo "docs: no collection index page in $out/build/html" >&2; exit 1; }
echo "docs: $(find "$out/build/html/collections/hostnet/dockerhost" -name '*.html' | wc -l) pages in $out/build/html" \
  "($(grep -c . "$out/warnings.txt" || true) warning lines, all from the intersphinx inventories this machine cannot fetch)"
