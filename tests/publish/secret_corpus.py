"""Planted secrets: one per detector and per file-name rule, built at test time.

The values are assembled from pieces so that this source file itself holds no
credential-shaped string (and a scan of the repository stays clean). None is real.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from pathlib import Path

_rng = random.Random(20261122)


def _pick(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


_UP = string.ascii_uppercase
_AN = string.ascii_letters + string.digits
_LOW = string.ascii_lowercase + string.digits
_HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Plant:
    path: str  # relative to the source folder
    content: str | bytes
    type: str  # the finding type expected
    line: int  # expected line (0: a file-name rule)
    secret: str | None  # text that must never be printed (None: name rule)


def _jwt() -> str:
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return "e" + b64({"alg": "HS256", "typ": "JWT"})[1:] + "." + b64(
        {"sub": _pick(_LOW, 12), "name": "test"}
    ) + "." + _pick(_AN, 43)


def plants() -> list[Plant]:
    """The corpus: content detectors first, then file-name rules."""
    aws_id = "AK" + "IA" + _pick(_UP + "234567", 16)
    aws_secret = _pick(_AN + "+/", 40)
    github = "gh" + "p_" + _pick(_AN, 36)
    gitlab = "gl" + "pat-" + _pick(_AN, 20)
    slack = "xo" + "xb-" + "1234567890-" + "0987654321-" + _pick(_AN, 24)
    slack_hook = (
        "https://hooks.sl" + "ack.com/services/T" + _pick(_UP, 8) + "/B" + _pick(_UP, 8)
        + "/" + _pick(_AN, 24)
    )
    stripe = "sk" + "_live_" + _pick(_AN, 24)
    hf = "h" + "f_" + _pick(_AN, 34)
    hf_long = "h" + "f_" + _pick(_AN, 40)
    password = "Tr0ub4dor-" + _pick(_AN, 10)
    b64 = _pick(_AN + "+/", 44)
    hexs = _pick(_HEX, 48)
    openai = "sk" + "-" + _pick(_AN, 20) + "T3Blbk" + "FJ" + _pick(_AN, 20)
    npm = "np" + "m_" + _pick(_AN, 36)
    pypi = "pypi-AgEIcHlwaS5vcmc" + _pick(_AN, 70)
    sendgrid = "SG" + "." + _pick(_AN, 22) + "." + _pick(_AN, 43)
    twilio = "SK" + _pick(_HEX, 32)
    basic = "s3cr" + _pick(_LOW, 10)
    discord = "M" + _pick(_AN, 23) + "." + _pick(_AN, 6) + "." + _pick(_AN, 27)
    telegram = "1234567890" + ":" + _pick(_AN, 35)
    mailchimp = _pick(_HEX, 32) + "-us12"
    square = "sq0c" + "sp-" + _pick(_AN, 43)
    azure = _pick(_AN, 86) + "=="
    jwt = _jwt()
    private_key = "-----BEGIN RSA PRI" + "VATE KEY-----"
    return [
        Plant("cloud/aws.py", f"import os\nAWS_ID = '{aws_id}'\n", "AWS Access Key", 2, aws_id),
        Plant("cloud/aws_secret.cfg", f"[default]\naws_secret_key = '{aws_secret}'\n",
              "AWS Access Key", 2, aws_secret),
        Plant("ci/github.sh", f"#!/bin/sh\n\nexport GH={github}\n", "GitHub Token", 3, github),
        Plant("ci/gitlab.yml", f"token: {gitlab}\n", "GitLab Token", 1, gitlab),
        Plant("keys/deploy.txt", f"notes\n{private_key}\nMIIEow\n", "Private Key", 2,
              private_key),
        Plant("web/session.txt", f"cookie={jwt}\n", "JSON Web Token", 1, jwt),
        Plant("bots/slack.md", f"# bot\n\nuse {slack}\n", "Slack Token", 3, slack),
        Plant("bots/hook.md", f"post to {slack_hook}\n", "Slack Token", 1, slack_hook),
        Plant("billing/stripe.js", f"const k = '{stripe}';\n", "Stripe Access Key", 1, stripe),
        Plant("hub/token.txt", f"{hf}\n", "Hugging Face Token", 1, hf),
        Plant("hub/notebook.py", f"\n\n\nlogin(token='{hf_long}')\n", "Hugging Face Token", 4,
              hf_long),
        Plant("db/settings.py", f'DB_PASSWORD = "{password}"\n', "Secret Keyword", 1, password),
        Plant("misc/blob.json", f'{{"v": "{b64}"}}\n', "Base64 High Entropy String", 1, b64),
        Plant("misc/hex.py", f'X = "{hexs}"\n', "Hex High Entropy String", 1, hexs),
        Plant("llm/openai.env.txt", f"OPENAI={openai}\n", "OpenAI Token", 1, openai),
        Plant("js/registry.txt", f"//registry.npmjs.org/:_authToken={npm}\n", "NPM tokens", 1, npm),
        Plant("py/upload.txt", f"token {pypi}\n", "PyPI Token", 1, pypi),
        Plant("mail/sendgrid.txt", f"key {sendgrid}\n", "SendGrid API Key", 1, sendgrid),
        Plant("sms/twilio.txt", f"sid {twilio}\n", "Twilio API Key", 1, twilio),
        Plant("net/mirror.txt", f"url: https://admin:{basic}@example.com/x\n",
              "Basic Auth Credentials", 1, basic),
        Plant("bots/discord.txt", f"{discord}\n", "Discord Bot Token", 1, discord),
        Plant("bots/telegram.txt", f"bot {telegram}\n", "Telegram Bot Token", 1, telegram),
        Plant("mail/chimp.txt", f"k {mailchimp}\n", "Mailchimp Access Key", 1, mailchimp),
        Plant("pay/square.txt", f"{square}\n", "Square OAuth Secret", 1, square),
        Plant("cloud/azure.txt", f"AccountKey={azure}\n", "Azure Storage Account access key", 1,
              azure),
        Plant("a/b/c/d/e/f/deep/inside.py", f"\n# x\nT = '{hf}'\n", "Hugging Face Token", 3, hf),
        # File-name rules: contents hold nothing a plugin finds.
        Plant(".env", "MODE=dev\n", "Sensitive file name (environment file)", 0, None),
        Plant("deploy/.env.production", "MODE=prod\n", "Sensitive file name (environment file)",
              0, None),
        Plant("ssh/id_rsa", bytes(range(256)), "Sensitive file name (SSH private key)", 0, None),
        Plant("ssh/id_ed25519", b"\0\1\2", "Sensitive file name (SSH private key)", 0, None),
        Plant("tls/server.pem", "cert\n", "Sensitive file name (PEM key or certificate)", 0,
              None),
        Plant("tls/tls.key", "k\n", "Sensitive file name (private key)", 0, None),
        Plant("tls/store.p12", b"\x30\x82\0\0", "Sensitive file name (PKCS#12 keystore)", 0, None),
        Plant("gcp/credentials.json", "{}\n", "Sensitive file name (credentials file)", 0, None),
        Plant("home/.netrc", "machine x\n", "Sensitive file name (netrc credentials)", 0, None),
        Plant("home/.npmrc", "color=false\n", "Sensitive file name (npm credentials)", 0, None),
        Plant("home/.pypirc", "[distutils]\n", "Sensitive file name (PyPI credentials)", 0, None),
        Plant("infra/terraform.tfstate", "{}\n", "Sensitive file name (Terraform state)", 0, None),
    ]


def write(root: Path, items: list[Plant]) -> None:
    for plant in items:
        path = root / plant.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(plant.content, bytes):
            path.write_bytes(plant.content)
        else:
            path.write_text(plant.content)
