"""GitHub: the sticky pull-request comment and the job summary (``comment``), the drift
issue (``issue``) and upgrade pull requests (``pr``), over a small REST client (``api``)."""
