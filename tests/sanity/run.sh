#!/usr/bin/env bash
# ansible-test sanity with the local Python (no containers), on a copy of this checkout (tests/ansible-test.sh).
# Exemptions, each with its reason, live in tests/sanity/ignore-<ansible-core version>.txt.
set -euo pipefail
exec "$(dirname "$0")/../ansible-test.sh" sanity "$@"
