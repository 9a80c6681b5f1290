# -*- coding: utf-8 -*-
# Copyright: hostnet.dockerhost contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What counts as a lynis profile for ``port_promisc``'s ``lynis_profile`` (the module and the playbook's
up-front check use these two pure functions).

A path: absolute, normalised, ending in ``.prf``, directly in one of the directories lynis reads profiles from
(lynis ``include/functions``: ``tPROFILE_TARGETS="/usr/local/etc/lynis /etc/lynis /usr/local/lynis ."``; the
working directory is left out) - or anywhere with ``lynis_profile_any_directory``. A text: lynis profile lines
only - comments, ``key=value`` (``skip-test=``, ``machine-role=``), ``name:...`` entries (``if_promisc:``,
``config:``) - made of the characters lynis accepts in a profile (outside comments it stops, ExitFatal, on any
other). ``/etc/passwd`` fails the path rule; ``/etc/shadow`` both. Messages never quote a line of the file.
"""

from __future__ import annotations

__metaclass__ = type

import os
import re

PROFILE_DIRS = ("/etc/lynis", "/usr/local/etc/lynis", "/usr/local/lynis")
SUFFIX = ".prf"
OVERRIDE = "lynis_profile_any_directory"
VALID = ("a lynis profile: an absolute path ending in %s directly in %s (the directories lynis reads profiles "
         "from), e.g. /etc/lynis/custom.prf, or in another directory with %s=true; an existing file must be a "
         "regular file of lynis profile lines" % (SUFFIX, ", ".join(PROFILE_DIRS), OVERRIDE))
# lynis: a profile line other than a comment may hold only these (include/functions, the profile check)
_LINE = re.compile(r"^[A-Za-z0-9_-]+[=:][A-Za-z0-9/\[\]()_|,.:;= \t-]*$")


def profile_path_problem(path, any_directory=False):
    """Why ``path`` cannot be a lynis profile for the collection (words, ending with what is valid), or None."""
    if not isinstance(path, str) or not path:
        return "expected %s, got %r" % (VALID, path)
    if not path.startswith("/"):
        return "%r is not an absolute path; expected %s" % (path, VALID)
    if os.path.normpath(path) != path:
        return "%r is not a normalised path (no '..', '.', '//' or trailing '/'); expected %s" % (path, VALID)
    name = os.path.basename(path)
    if not name.endswith(SUFFIX) or name == SUFFIX:
        return "%s does not end in %s, so it is not a lynis profile; expected %s" % (path, SUFFIX, VALID)
    if not any_directory and os.path.dirname(path) not in PROFILE_DIRS:
        return "%s is not in a lynis profile directory; expected %s" % (path, VALID)
    return None


def profile_text_problem(text, path="the file"):
    """Why ``text`` is not a lynis profile (which line, never its content), or None. Empty is a profile."""
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not _LINE.match(stripped):
            return ("%s line %d is not a lynis profile line (a comment, key=value or name:... made of the "
                    "characters lynis accepts), so %s is not a lynis profile and is left alone; expected %s"
                    % (path, lineno, path, VALID))
    return None
