# SPDX-License-Identifier: MIT
"""How every e2e test starts: the integration helpers on sys.path, the test
re-run in the loopback-only namespace (rtcpeers.netns_reexec), and its
arguments `<meetgate binary> [<output dir for screenshots>]` taken off
sys.argv, so what is left goes to unittest."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, INTEGRATION)

import rtcpeers  # noqa: E402


def start():
    """(meetgate binary, output dir), once inside the namespace."""
    rtcpeers.netns_reexec()
    binary = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
    out_dir = sys.argv.pop(1) if len(sys.argv) > 1 else os.getcwd()
    return binary, out_dir
