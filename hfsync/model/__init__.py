"""Plain data every layer may read: the plan, the lock's entries, the Hub's facts about a
repo, upgrade and discover reports, in-file diffs. It imports nothing of hfsync above
shared ground."""
