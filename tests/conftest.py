"""Make the collection importable as ansible_collections.mailops.hosted_exchange from this source tree.

Unit tests import plugin code the way Ansible does; the tree is not laid out under an
ansible_collections/ directory, so a symlink in a temporary directory provides that path.
Integration tests run ansible-playbook against the installed copy instead (make install).
"""

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _expose_collection_source():
    root = Path(tempfile.mkdtemp(prefix="hosted-exchange-src-"))
    atexit.register(shutil.rmtree, root, True)
    namespace = root / "ansible_collections" / "mailops"
    namespace.mkdir(parents=True)
    (namespace / "hosted_exchange").symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(root))


_expose_collection_source()
