#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""50 join/leave cycles with media flowing (tests/stress/churn.py runs 1,000):
aiortc subscribers join a room with a live aiortc publisher over WHEP, get a
video frame, leave with DELETE; publishers are replaced too. meetgate must
not crash, must exit 0 on SIGTERM, and in the ASan build LeakSanitizer must
report nothing at exit. Prints RSS at start, peak and end."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()
sys.path.insert(0, os.path.join(HERE, "..", "stress"))
import churn  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"


class Churn(unittest.TestCase):
    def test_50_cycles(self):
        stats, rc, reports, (start, peak, end) = churn.run(BINARY, 50, 2)
        print("\nchurn: %d cycles in %.0f s; RSS start %d KiB, peak %d KiB, end %d KiB; errors %s" % (
            stats["cycles"], stats["seconds"], start, peak, end, stats["errors"][:5]))
        self.assertEqual(stats["errors"], [])
        self.assertGreaterEqual(stats["cycles"], 50)
        # About 0.5% of aiortc subscribers fail on their own side (their ICE
        # transport is closed when DTLS starts: docs/hardening.md); meetgate
        # then drops the peer after its DTLS timeout. Media must flow for the rest.
        print("cycles without video: %s" % stats["no_video"])
        self.assertGreaterEqual(len(stats["first_frame_ms"]), stats["cycles"] - 3)
        self.assertEqual(reports, [], "sanitizer reports (a leak?)")
        self.assertEqual(rc, 0)
        # Only a gross leak fails this (50 cycles are too few for a small one: the 1,000-cycle script is for that).
        self.assertLessEqual(end, start * 1.25 + 8192, (start, peak, end))


if __name__ == "__main__":
    unittest.main(verbosity=2)
