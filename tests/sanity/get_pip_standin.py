# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Stand-in for the get-pip.py that ansible-test downloads from ci-files.testing.ansible.com, a host these
# machines cannot reach (only the package registries are). ansible-test's own message says the script may be
# saved by hand to ~/.ansible/test/cache/get_pip_<version>.py; tests/sanity/run.sh puts this file there.
# It bootstraps pip with ensurepip, then installs the requested packages from the package index.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
