# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built collection tarball holds what users need and nothing else (galaxy.yml build_ignore).

python tarball_contents.py TARBALL - prints the unexpected and the missing entries, exit 1 when there are any.
"""

from __future__ import annotations

import sys
import tarfile

# Top-level entries and the directories under them that an installed collection needs.
ALLOWED_PREFIXES = (
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "requirements.txt", "bindep.txt",
    "meta/", "plugins/", "roles/", "playbooks/", "docs/", "changelogs/changelog.yaml", "changelogs/config.yaml",
)
ALLOWED_DIRS = ("meta", "plugins", "roles", "playbooks", "docs", "changelogs")
REQUIRED = (
    "LICENSE", "README.md", "CHANGELOG.rst", "requirements.txt", "bindep.txt", "meta/runtime.yml",
    "meta/execution-environment.yml", "changelogs/changelog.yaml", "playbooks/harden_docker_hosts.yml",
)
# Never shipped even below an allowed directory: developer notes, spelled-out duplicates, caches.
FORBIDDEN_PARTS = ("docs/dev/", "__pycache__", ".pyc", "node_modules", ".pytest_cache", "playbooks/harden-docker-hosts.yml")


def main(path):
    with tarfile.open(path) as tar:
        names = [member.name[2:] if member.name.startswith("./") else member.name for member in tar.getmembers()]
    names = [name for name in names if name]
    unexpected = [n for n in names if not (n.startswith(ALLOWED_PREFIXES) or n in ALLOWED_DIRS)
                  or any(part in n for part in FORBIDDEN_PARTS)]
    missing = [n for n in REQUIRED if n not in names]
    for name in unexpected:
        print("tarball holds %s, which users do not need (galaxy.yml build_ignore)" % name)
    for name in missing:
        print("tarball lacks %s" % name)
    print("tarball: %d entries, %d unexpected, %d missing" % (len(names), len(unexpected), len(missing)))
    return 1 if unexpected or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
