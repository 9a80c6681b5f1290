# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Galaxy's content list of the collection (galaxy-importer's importer_result.json) names each plugin, role and
playbook once, and every plugin it lists is one Ansible knows: a file that only implements plugins must not
show up as a plugin of its own name.

python import_contents.py importer_result.json - exit 1 with the problems printed.
"""

from __future__ import annotations

import collections
import json
import sys


def main(path):
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    contents = [(c["content_type"], c["name"]) for c in result["contents"] if c["content_type"] != "module_utils"]
    problems = ["%s %s is listed %d times" % (kind, name, count)
                for (kind, name), count in collections.Counter(contents).items() if count > 1]
    documented = {(item.get("content_type"), item.get("content_name"))
                  for item in (result.get("docs_blob") or {}).get("contents", []) if item.get("doc_strings")}
    for kind, name in sorted(set(contents)):
        # playbooks and roles are documented in README/docs and meta/argument_specs.yml; an action plugin by the
        # module of its name
        if kind in ("playbook", "role", "doc_fragments", "action"):
            continue
        if (kind, name) not in documented:
            problems.append("%s %s has no documentation (a file that is not a plugin of that name?)" % (kind, name))
    for problem in problems:
        print("galaxy content list: %s" % problem)
    print("galaxy content list: %d entries, %d problems" % (len(contents), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
