"""After apply commits to a model or dataset: the commit is the branch head.

A push that lands and is at once overtaken (another client, a bot, a second apply) leaves the
branch at a commit this plan never saw: a failed target, said in one sentence. (The card
needs no second look: the client has the Hub check README.md's metadata right before the
commit, and a refusal commits nothing.)
"""

from __future__ import annotations

from hfsync.hub.publish import Publisher
from hfsync.model.plan import TargetChange


def check_landed(target: TargetChange, publisher: Publisher, commit: str) -> str | None:
    """None when the branch holds ``commit``, else the sentence saying where it went."""
    branch = target.revision
    head = publisher.head(target.repo_id, target.repo_type, branch)[1]
    if head == commit:
        return None
    return (f"the commit {commit[:12]} landed, but {branch} is now at {str(head)[:12]}: another push "
            f"moved the branch right after it; run `hfsync plan` to see what the branch now holds")
