"""The lock as shared domain steps: what `lock`, `pull`, `upgrade`, `plan` and `cache` agree on.

lockfile (hfsync.lock read and written), pin (resolve, judge by the policy, merge: the one
way a pin is made), selection (which files a pull takes), drift (pulls whose upstream
moved past the lock) and layout (where pulled files live on disk). Engines import these;
these never import an engine.
"""
