#!/usr/bin/env bash
# ansible-test integration target for the namespace tier (`ansible-test integration netns --allow-destructive`,
# as root; `make integration` runs it). The tier's tests are pytest files in tests/integration/, not a playbook,
# because each test builds its own throwaway network namespaces (bridges, veths, a Docker engine), runs a module
# or the audit playbook in them through ansible-playbook, and compares the result with what the kernel and the
# files really hold afterwards; setting that up and tearing it down per case, with fixtures, is what pytest is
# for. This target only runs them, with the Python ansible-test chose, on the copy of the collection it tests.
set -euo pipefail
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
tests=$(cd "$(dirname "$0")/../.." && pwd)
cd "$tests/../.."
exec "$python" -m pytest -q -p no:cacheprovider "$tests" "$@"
