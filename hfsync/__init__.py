"""hfsync: GitOps for the Hugging Face Hub."""

__version__ = "0.1.0"
