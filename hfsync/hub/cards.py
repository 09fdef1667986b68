"""The Hub's own card check: POST /api/validate-yaml (the rules live on the server)."""

from __future__ import annotations

from hfsync.hub.client import Hub, translate_errors


def validate_yaml(hub: Hub, content: str, repo_type: str) -> list[str]:
    """The Hub's errors about a card's front matter (empty when it accepts it).

    The Hub answers 400 with ``errors[].message`` for metadata it refuses; anything else
    that is not a success is a HubError naming the operation.
    """
    from huggingface_hub.utils import hf_raise_for_status

    headers = hub.headers()
    with translate_errors("validate card of", None):
        response = hub.session().post(
            f"{hub.endpoint}/api/validate-yaml", json={"content": content, "repoType": repo_type}, headers=headers
        )
        if response.status_code == 400:
            try:
                body = response.json()
            except ValueError:
                return [response.text.strip() or "the Hub refused the card's metadata"]
            # A refusal without the list of errors (an {"error": ...} body) is a refusal still.
            errors = body.get("errors") or [body.get("error") or "the Hub refused the card's metadata"]
            return [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        hf_raise_for_status(response)
    return []
