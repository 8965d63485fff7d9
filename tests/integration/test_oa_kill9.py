#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kill -9 during OA ingest, 10 rounds (tests/stress/oa_kill9.py runs 100):
no acknowledged meeting lost or doubled, the store passes integrity_check."""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "stress"))
import oa_kill9  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SEED = int(os.environ.get("MG_KILL9_SEED") or time.time())


class OaKill9(unittest.TestCase):
    def test_rounds(self):
        print("seed %d (rerun with MG_KILL9_SEED=%d)" % (SEED, SEED))
        ledger, problems = oa_kill9.run(BINARY, 10, SEED)
        print("%d acknowledged writes, %d meetings, %d answers lost at a kill" % (
            ledger.counts["acked"], len(ledger.acked), ledger.counts["lost_answers"]))
        self.assertEqual(problems, [])
        # Means something only if writes were acknowledged and some were cut by a kill.
        self.assertGreater(len(ledger.acked), 10)
        self.assertGreater(ledger.counts["lost_answers"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
