"""The route table: which handler answers each method and path, and the route's name.

Apart from ``server`` (the listeners and the handling of one request: identity, faults,
the answer), because this is the part that grows with every endpoint the sandbox learns,
and the part a reader looks up to find a route's name or handler.

Routes are matched on the raw (still percent-encoded) path, because revisions and
tree paths arrive as ``refs%2Fpr%2F1`` and ``a%2Fb``. Each route has a name; the
counters of GET /_sandbox/stats are keyed "<METHOD> <route name>":

    GET whoami               GET /api/whoami-v2
    POST repo-create         POST /api/repos/create
    DELETE repo-delete       DELETE /api/repos/delete
    POST repo-move           POST /api/repos/move
    PUT repo-settings        PUT /api/{types}/{id}/settings
    GET repo-info            GET /api/{types}/{id}[/revision/{rev}]
    GET repo-list            GET /api/{types}  (list and search)
    GET storage-settings     GET /api/settings/repositories, /api/organizations/{org}/settings/repositories
    GET tree                 GET /api/{types}/{id}/tree/{rev}[/{path}]
    POST paths-info          POST /api/{types}/{id}/paths-info/{rev}
    GET refs                 GET /api/{types}/{id}/refs
    GET commits              GET /api/{types}/{id}/commits/{rev}
    POST|DELETE branch       /api/{types}/{id}/branch/{branch}
    POST|DELETE tag          /api/{types}/{id}/tag/{rev or tag}
    POST preupload           POST /api/{types}/{id}/preupload/{rev}
    POST commit              POST /api/{types}/{id}/commit/{rev}
    GET discussions          GET /api/{types}/{id}/discussions (pull requests, paged by ?p=)
    POST discussion-create   POST /api/{types}/{id}/discussions
    GET discussion           GET /api/{types}/{id}/discussions/{num}
    POST discussion-status   POST /api/{types}/{id}/discussions/{num}/status
    POST discussion-merge    POST /api/{types}/{id}/discussions/{num}/merge
    POST validate-yaml       POST /api/validate-yaml
    POST lfs-batch           POST /{prefix}{id}.git/info/lfs/objects/batch
    PUT lfs-upload           PUT of a whole LFS object (basic transfer): bytes_in = file size
    PUT lfs-upload-part      PUT of one multipart part (files above the multipart threshold)
    POST lfs-complete        multipart completion
    POST lfs-verify          verify after upload
    HEAD|GET resolve         /{prefix}{id}/resolve/{rev}/{path}: regular file bytes; LFS → 302
    HEAD|GET lfs-download    the CDN URL an LFS resolve redirects to: LFS file bytes
    GET xet-read-token|xet-write-token   /api/{types}/{id}/xet-{read,write}-token/{rev}
    GET space-runtime, POST space-hardware|space-sleeptime|space-pause|space-restart,
    GET space-logs           /api/spaces/{id}/logs/{build,run}: server-sent events
    GET|POST|DELETE space-variables|space-secrets   /api/spaces/{id}/...
    GET agent-harnesses      the client's telemetry registry fetch
    GET user-overview|org-overview   /api/users/{name}/overview, /api/organizations/{name}/overview
    GET|POST collections     /api/collections (list, create)
    GET|PATCH|DELETE collection   /api/collections/{slug}
    POST collection-items    /api/collections/{slug}/items
    PATCH|DELETE collection-item  /api/collections/{slug}/items/{item id}
    POST ask-access          /{prefix}{id}/ask-access
    GET access-requests      /api/{types}/{id}/user-access-request/{pending,accepted,rejected}
    POST access-handle|access-grant   /api/{types}/{id}/user-access-request/{handle,grant}
    POST oauth-token         POST /oauth/token: a CI job's OIDC id token for a Hub token (oidc)
    <METHOD> unknown         anything else (answered 404)

On the CAS listener (its own port, 127.0.0.1 only; see api_cas):

    POST xorb-upload         POST /v1/xorbs/default/{hash}
    HEAD xorb-head           HEAD /v1/xorbs/default/{hash}
    POST xorb-grant          POST /v1/xorb-grants/default/{hash}: always 404 (upload instead)
    POST shard-upload        POST /v1/shards and /v2/shards
    GET reconstruction       GET /v1/reconstructions/{file_id} and /v2/...
    GET|POST reconstruction-batch   /v1/reconstructions?file_id=...
    HEAD file-head           HEAD /v1/files/{file_id}
    GET dedup                GET /v1/chunks/{default-merkledb or default}/{hash}
    GET xorb-range           the signed xorb URL a reconstruction hands out: xorb bytes

Admin requests (/_sandbox/...) are neither counted nor subject to faults.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hfsync.sandbox import (
    admin,
    api_access,
    api_cas,
    api_collections,
    api_discussions,
    api_download,
    api_oauth,
    api_refs,
    api_repos,
    api_spaces,
    api_upload,
    api_xet,
    search,
)
from hfsync.sandbox.http import Response

_T = r"(?P<types>models|datasets|spaces)"
_ID = r"(?P<ns>[^/]+)/(?P<name>[^/]+)"
_API = rf"^/api/{_T}/{_ID}"
_FILES = rf"^/(?:(?P<prefix>datasets|spaces)/)?{_ID}"
_OID = r"(?P<oid>[0-9a-f]{64})"
_SPACE = rf"^/api/spaces/{_ID}"
_COLL = r"^/api/collections/(?P<ns>[^/]+)/(?P<slug>[^/]+)"

Handler = Callable[..., Response]
Route = tuple[str, re.Pattern[str], str, Handler]  # method, path pattern, name, handler
ROUTES: list[Route] = [
    (m, re.compile(p), n, h)
    for m, p, n, h in [
        ("GET", r"^/api/whoami-v2$", "whoami", api_repos.whoami),
        ("POST", r"^/api/repos/create$", "repo-create", api_repos.create_repo),
        ("DELETE", r"^/api/repos/delete$", "repo-delete", api_repos.delete_repo),
        ("POST", r"^/api/repos/move$", "repo-move", api_repos.move_repo),
        ("POST", r"^/api/validate-yaml$", "validate-yaml", api_repos.validate_yaml),
        ("GET", r"^/api/agent-harnesses$", "agent-harnesses", api_repos.agent_harnesses),
        ("POST", r"^/oauth/token$", "oauth-token", api_oauth.exchange),
        ("GET", r"^/api/collections$", "collections", api_collections.list_collections),
        ("POST", r"^/api/collections$", "collections", api_collections.create),
        *[(m, rf"{_COLL}$", "collection", api_collections.collection) for m in ("GET", "PATCH", "DELETE")],
        ("POST", rf"{_COLL}/items$", "collection-items", api_collections.add_item),
        *[(m, rf"{_COLL}/items/(?P<item_id>[^/]+)$", "collection-item", api_collections.item)
          for m in ("PATCH", "DELETE")],
        ("POST", rf"{_FILES}/ask-access$", "ask-access", api_access.ask),
        ("GET", rf"{_API}/user-access-request/(?P<status>pending|accepted|rejected)$", "access-requests",
         api_access.listing),
        ("POST", rf"{_API}/user-access-request/handle$", "access-handle", api_access.handle),
        ("POST", rf"{_API}/user-access-request/grant$", "access-grant", api_access.grant),
        ("GET", rf"^/api/{_T}$", "repo-list", search.list_repos),
        ("GET", rf"^/api/{_T}/(?P<name>[^/]+)$", "repo-info", api_repos.repo_without_namespace),
        ("GET", r"^/api/settings/repositories$", "storage-settings", api_repos.storage_settings),
        ("GET", r"^/api/users/(?P<name>[^/]+)/overview$", "user-overview", api_repos.user_overview),
        ("GET", r"^/api/organizations/(?P<name>[^/]+)/overview$", "org-overview", api_repos.org_overview),
        (
            "GET",
            r"^/api/organizations/(?P<org>[^/]+)/settings/repositories$",
            "storage-settings",
            api_repos.storage_settings,
        ),
        ("PUT", rf"{_API}/settings$", "repo-settings", api_repos.update_settings),
        ("GET", rf"{_API}$", "repo-info", api_repos.repo_info),
        ("GET", rf"{_SPACE}/runtime$", "space-runtime", api_spaces.get_runtime),
        ("POST", rf"{_SPACE}/hardware$", "space-hardware", api_spaces.request_hardware),
        ("POST", rf"{_SPACE}/sleeptime$", "space-sleeptime", api_spaces.set_sleep_time),
        ("POST", rf"{_SPACE}/pause$", "space-pause", api_spaces.pause),
        ("POST", rf"{_SPACE}/restart$", "space-restart", api_spaces.restart),
        ("GET", rf"{_SPACE}/logs/(?P<kind>build|run)$", "space-logs", api_spaces.logs),
        *[(m, rf"{_SPACE}/variables$", "space-variables", api_spaces.variables) for m in ("GET", "POST", "DELETE")],
        *[(m, rf"{_SPACE}/secrets$", "space-secrets", api_spaces.secrets) for m in ("GET", "POST", "DELETE")],
        ("GET", rf"{_API}/revision/(?P<rev>[^/]+)$", "repo-info", api_repos.repo_info),
        ("GET", rf"{_API}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$", "tree", api_refs.tree),
        ("POST", rf"{_API}/paths-info/(?P<rev>[^/]+)$", "paths-info", api_refs.paths_info),
        ("GET", rf"{_API}/refs$", "refs", api_refs.refs),
        ("GET", rf"{_API}/commits/(?P<rev>[^/]+)$", "commits", api_refs.commits),
        ("POST", rf"{_API}/branch/(?P<branch>[^/]+)$", "branch", api_refs.create_branch),
        ("DELETE", rf"{_API}/branch/(?P<branch>[^/]+)$", "branch", api_refs.delete_branch),
        ("POST", rf"{_API}/tag/(?P<rev>[^/]+)$", "tag", api_refs.create_tag),
        ("DELETE", rf"{_API}/tag/(?P<tag>[^/]+)$", "tag", api_refs.delete_tag),
        ("POST", rf"{_API}/preupload/(?P<rev>[^/]+)$", "preupload", api_upload.preupload),
        ("POST", rf"{_API}/commit/(?P<rev>[^/]+)$", "commit", api_upload.commit),
        ("GET", rf"{_API}/discussions$", "discussions", api_discussions.list_discussions),
        ("POST", rf"{_API}/discussions$", "discussion-create", api_discussions.create),
        ("GET", rf"{_API}/discussions/(?P<num>\d+)$", "discussion", api_discussions.details),
        ("POST", rf"{_API}/discussions/(?P<num>\d+)/status$", "discussion-status", api_discussions.change_status),
        ("POST", rf"{_API}/discussions/(?P<num>\d+)/merge$", "discussion-merge", api_discussions.merge),
        ("POST", rf"{_FILES}\.git/info/lfs/objects/batch$", "lfs-batch", api_upload.lfs_batch),
        ("PUT", rf"^/sandbox-lfs/upload/{_OID}$", "lfs-upload", api_upload.lfs_upload),
        (
            "PUT",
            rf"^/sandbox-lfs/part/{_OID}/(?P<number>\d+)$",
            "lfs-upload-part",
            api_upload.lfs_upload_part,
        ),
        ("POST", rf"^/sandbox-lfs/complete/{_OID}$", "lfs-complete", api_upload.lfs_complete),
        ("POST", r"^/sandbox-lfs/verify$", "lfs-verify", api_upload.lfs_verify),
        (
            "GET",
            rf"^/sandbox-lfs/cdn/{_OID}/(?P<filename>[^/]*)$",
            "lfs-download",
            api_download.cdn,
        ),
        ("GET", rf"{_FILES}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$", "resolve", api_download.resolve),
        ("GET", rf"{_API}/xet-read-token/(?P<rev>[^/]+)$", "xet-read-token", api_xet.read_token),
        ("GET", rf"{_API}/xet-write-token/(?P<rev>[^/]+)$", "xet-write-token", api_xet.write_token),
    ]
]
_HASH = r"(?P<hash>[0-9a-fA-F]{64})"
CAS_ROUTES: list[Route] = [
    (m, re.compile(p), n, h)
    for m, p, n, h in [
        ("POST", rf"^/v1/xorbs/(?P<prefix>[^/]+)/{_HASH}$", "xorb-upload", api_cas.upload_xorb),
        ("HEAD", rf"^/v1/xorbs/(?P<prefix>[^/]+)/{_HASH}$", "xorb-head", api_cas.head_xorb),
        ("POST", rf"^/v1/xorb-grants/(?P<prefix>[^/]+)/{_HASH}$", "xorb-grant", api_cas.xorb_grant),
        ("POST", r"^/v1/shards$", "shard-upload", api_cas.upload_shard),
        ("POST", r"^/v2/shards$", "shard-upload", api_cas.upload_shard_v2),
        ("GET", r"^/v1/reconstructions/(?P<file_id>[^/]+)$", "reconstruction", api_cas.reconstruction),
        ("GET", r"^/v2/reconstructions/(?P<file_id>[^/]+)$", "reconstruction", api_cas.reconstruction_v2),
        ("GET", r"^/v1/reconstructions$", "reconstruction-batch", api_cas.batch_reconstruction),
        ("POST", r"^/v1/reconstructions$", "reconstruction-batch", api_cas.batch_reconstruction),
        ("HEAD", r"^/v1/files/(?P<file_id>[^/]+)$", "file-head", api_cas.head_file),
        ("GET", rf"^/v1/chunks/(?P<prefix>[^/]+)/{_HASH}$", "dedup", api_cas.dedup),
        ("GET", rf"^/sandbox-xet/xorb/{_HASH}$", "xorb-range", api_cas.xorb_range),
    ]
]
ADMIN_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (m, re.compile(p), h)
    for m, p, h in [
        ("POST", r"^/_sandbox/faults$", admin.add_faults),
        ("DELETE", r"^/_sandbox/faults$", admin.clear_faults),
        ("GET", r"^/_sandbox/faults$", admin.list_faults),
        ("GET", r"^/_sandbox/stats$", admin.stats),
        ("POST", r"^/_sandbox/stats/reset$", admin.reset_stats),
        ("POST", r"^/_sandbox/settings$", admin.settings),
        ("GET", r"^/_sandbox/oidc$", admin.oidc_state),
        ("POST", r"^/_sandbox/oidc$", admin.oidc_configure),
        ("DELETE", r"^/_sandbox/oidc$", admin.oidc_clear),
        ("POST", r"^/_sandbox/oidc/expire$", admin.oidc_expire),
        ("POST", r"^/_sandbox/spaces/(?P<ns>[^/]+)/(?P<name>[^/]+)/runtime$", admin.set_script),
        ("POST", r"^/_sandbox/accounts/(?P<name>[^/]+)$", admin.set_profile),
        (
            "POST",
            r"^/_sandbox/repos/(?P<repo_type>model|dataset|space)/(?P<ns>[^/]+)/"
            r"(?P<name>[^/]+)/meta$",
            admin.seed_meta,
        ),
    ]
]
# Transfer URLs carry their own signature; the client sends no token to them. CAS
# routes check the CAS token themselves. The token exchange is authorised by its body.
_NO_AUTH = {"lfs-upload", "lfs-upload-part", "lfs-complete", "lfs-download", "oauth-token"}
_HEAD_AS_GET = ("resolve", "lfs-download", "xorb-range")
_CAS_NAMES = {name for _m, _p, name, _h in CAS_ROUTES}


def match(method: str, path: str, routes: list[Route]) -> tuple[str, Handler, dict[str, str]] | None:
    """The name, handler and path parameters of the first of ``routes`` to take this request."""
    for m, pattern, name, handler in routes:
        head_as_get = method == "HEAD" and m == "GET" and name in _HEAD_AS_GET
        if (m == method or head_as_get) and (found := pattern.match(path)):
            return name, handler, found.groupdict()
    return None


def takes_hub_token(name: str) -> bool:
    """Whether the route named ``name`` identifies its caller by a Hub token (most do)."""
    return name not in _NO_AUTH and name not in _CAS_NAMES
