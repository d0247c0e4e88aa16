"""A GitHub REST stand-in: the endpoints the retro and action activities call, repositories held in
memory (commits, branches, pull requests, issues), every request recorded.

github = GitHubStandIn(token="ghs-test")
docs = github.add_repo("wellcomecollection/docs", files={"README.md": "# Docs"})
url = await github.start()                    # http://127.0.0.1:PORT/  (GITHUB_API_URL)
github.inject("create_pull", Fault.DROP_AFTER)
docs.files("incident-retro/inc-…")            # what the branch holds
docs.pulls, docs.issues                       # what people would see

Faults (``tests.standins.common.Fault``), met before anything else is checked: SERVER_ERROR is a
500 with nothing applied; RATE_LIMIT is GitHub's 403 with nothing applied, ``x-ratelimit-remaining:
0`` and ``x-ratelimit-reset`` (``rate_limit="secondary"``: a 403 with ``Retry-After``);
DROP_AFTER applies the request, then closes the connection (``after_apply="502"``: answers 502).

It refuses what GitHub refuses, with GitHub's status and a ``message`` body: 401 for a missing or
wrong token, 404 for a repository the token cannot see, 403 for a write to a read-only one, 409
for a file sha that does not match, 422 for the rules in each handler (a branch or open pull
request that exists, a missing file sha, an empty pull request, an assignee who cannot be).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.standins.common import Fault, Recorded, StandIn, drop_connection, request_params

Answer = tuple[int, Any]
BOT_LOGIN = "incident-bot[bot]"
DOCS = "https://docs.github.com/rest"


def _sha(text: str | bytes) -> str:
    return hashlib.sha1(text.encode() if isinstance(text, str) else text).hexdigest()


def blob_sha(content: bytes) -> str:
    """Git's blob id, as GitHub's contents API reports a file's sha."""
    return _sha(b"blob %d\0" % len(content) + content)


def _invalid(resource: str, *errors: dict[str, Any]) -> Answer:
    return 422, {
        "message": "Validation Failed",
        "errors": [{"resource": resource, **e} for e in errors],
        "documentation_url": DOCS,
    }


@dataclass
class Repo:
    full_name: str
    private: bool = False
    writable: bool = True  # False: the token may read, not write (403 on every write)
    default_branch: str = "main"
    collaborators: set[str] = field(default_factory=set)  # who can be assigned an issue
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha → path → content
    branches: dict[str, str] = field(default_factory=dict)  # name → commit sha
    pulls: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)  # pull requests among them
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def files(self, branch: str) -> dict[str, str]:
        return {path: c.decode() for path, c in self.commits[self.branches[branch]].items()}

    def commit(self, branch: str, files: dict[str, bytes]) -> str:
        sha = _sha(f"{self.branches.get(branch)}:{sorted(files.items())}:{len(self.commits)}")
        self.commits[sha] = dict(files)
        self.branches[branch] = sha
        return sha

    def merge(self, number: int, *, delete_branch: bool = True) -> None:
        """Merge pull request ``number`` as a person would, deleting its branch by default."""
        pull = next(p for p in self.pulls if p["number"] == number)
        head, base = pull["head"]["ref"], pull["base"]["ref"]
        self.commit(base, self.commits[self.branches[head]])
        pull.update(state="closed", merged_at="2026-12-02T10:00:00Z")
        if delete_branch:
            del self.branches[head]

    def open_pulls(self) -> list[dict[str, Any]]:
        return [p for p in self.pulls if p["state"] == "open"]

    def real_issues(self) -> list[dict[str, Any]]:
        return [i for i in self.issues if "pull_request" not in i]

    def url(self, *parts: object) -> str:
        return "/".join([f"https://github.com/{self.full_name}", *map(str, parts)])


@dataclass
class HeldCall:
    """The next call of ``method`` waits for ``release`` (a worker killed meanwhile); with
    ``applied`` it is carried out first, then never answered."""

    method: str
    applied: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class GitHubStandIn(StandIn):
    token: str = "stand-in-token"
    repos: dict[str, Repo] = field(default_factory=dict)
    rate_limit: Literal["primary", "secondary"] = "primary"
    after_apply: Literal["drop", "502"] = "drop"
    held: list[HeldCall] = field(default_factory=list)

    def hold(self, method: str, *, applied: bool) -> HeldCall:
        call = HeldCall(method=method, applied=applied)
        self.held.append(call)
        return call

    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = False,
        files: dict[str, str] | None = None,
        collaborators: Iterable[str] = (),
    ) -> Repo:
        repo = Repo(full_name, private=private, collaborators=set(collaborators))
        initial = files if files is not None else {"README.md": f"# {full_name}\n"}
        repo.commit(repo.default_branch, {p: c.encode() for p, c in initial.items()})
        self.repos[full_name] = repo
        return repo

    async def start(self) -> str:  # type: ignore[override]
        app = web.Application()
        repo = "/repos/{owner}/{name}"
        routes: list[tuple[str, str, str, Callable[..., Answer], bool]] = [
            ("GET", repo, "get_repo", self._get_repo, False),
            ("GET", f"{repo}/git/ref/{{ref:.+}}", "get_ref", self._get_ref, False),
            ("POST", f"{repo}/git/refs", "create_ref", self._create_ref, True),
            ("GET", f"{repo}/contents/{{path:.+}}", "get_contents", self._get_contents, False),
            ("PUT", f"{repo}/contents/{{path:.+}}", "put_contents", self._put_contents, True),
            ("GET", f"{repo}/pulls", "list_pulls", self._list_pulls, False),
            ("POST", f"{repo}/pulls", "create_pull", self._create_pull, True),
            ("GET", f"{repo}/issues", "list_issues", self._list_issues, False),
            ("POST", f"{repo}/issues", "create_issue", self._create_issue, True),
        ]
        for verb, path, method, apply, writes in routes:
            app.router.add_route(verb, path, self._handler(method, apply, writes=writes))
        return await super().start(app, "/")

    def _handler(
        self, method: str, apply: Callable[..., Answer], *, writes: bool
    ) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            params = await request_params(request)
            fault = self.take_fault(method)
            self.requests.append(Recorded(method=method, params=params, fault=fault))
            if fault is Fault.RATE_LIMIT:
                return self._rate_limited()
            if fault is Fault.SERVER_ERROR:
                return web.json_response({"message": "Server Error"}, status=500)
            if request.headers.get("Authorization") not in (
                f"token {self.token}",
                f"Bearer {self.token}",
            ):
                return _answer(401, {"message": "Bad credentials", "documentation_url": DOCS})
            repo = self.repos.get(f"{request.match_info['owner']}/{request.match_info['name']}")
            if repo is None:
                return _answer(404, {"message": "Not Found", "documentation_url": DOCS})
            if writes and not repo.writable:
                return _answer(403, {"message": "Resource not accessible by integration"})
            held = next((h for h in self.held if h.method == method), None)
            if held is not None:
                self.held.remove(held)
                held.reached.set()
                if held.applied:
                    apply(repo, request.match_info, params)
                await held.release.wait()
                return drop_connection(request)
            status, body = apply(repo, request.match_info, params)
            if fault is Fault.DROP_AFTER:
                if self.after_apply == "502":
                    return web.Response(status=502, text="<html>502 Bad Gateway</html>")
                return drop_connection(request)
            return _answer(status, body)

        return handle

    def _rate_limited(self) -> web.Response:
        if self.rate_limit == "secondary":
            headers = {"Retry-After": str(self.retry_after)}
            message = "You have exceeded a secondary rate limit."
        else:
            headers = {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-reset": str(int(time.time()) + self.retry_after),
            }
            message = "API rate limit exceeded for installation."
        body = {"message": message, "documentation_url": DOCS}
        return web.json_response(body, status=403, headers=headers)

    # --- The endpoints: each answers (status, body) for a repository the token may use ---------

    def _get_repo(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        owner, name = repo.full_name.split("/")
        return 200, {
            "full_name": repo.full_name,
            "name": name,
            "owner": {"login": owner},
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "default_branch": repo.default_branch,
            "html_url": repo.url(),
        }

    def _get_ref(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        branch = str(match["ref"]).removeprefix("heads/")
        if branch not in repo.branches:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        return 200, _ref(branch, repo.branches[branch])

    def _create_ref(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        ref, sha = str(params.get("ref", "")), params.get("sha")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return 422, {"message": "Reference name is invalid", "documentation_url": DOCS}
        if sha not in repo.commits:
            return 422, {"message": "Object does not exist", "documentation_url": DOCS}
        branch = ref.removeprefix("refs/heads/")
        if branch in repo.branches:
            return 422, {"message": "Reference already exists", "documentation_url": DOCS}
        repo.branches[branch] = sha
        return 201, _ref(branch, sha)

    def _get_contents(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        branch, path = params.get("ref") or repo.default_branch, str(match["path"])
        if branch not in repo.branches:
            return 404, {"message": f"No commit found for the ref {branch}"}
        files = repo.commits[repo.branches[branch]]
        if path not in files:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        content = files[path]
        encoded = base64.b64encode(content).decode()
        return (
            200,
            {  # GitHub wraps the base64 at 60 characters
                **_file(repo, path, content),
                "encoding": "base64",
                "content": "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
                + "\n",
            },
        )

    def _put_contents(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        branch, path = params.get("branch") or repo.default_branch, str(match["path"])
        if not params.get("message"):
            return _invalid("Commit", {"field": "message", "code": "missing_field"})
        try:
            content = base64.b64decode(str(params.get("content", "")), validate=True)
        except ValueError:
            return 422, {"message": "content is not valid Base64"}
        if branch not in repo.branches:
            return 404, {"message": f"Branch {branch} not found"}
        files = dict(repo.commits[repo.branches[branch]])
        sha, existing = params.get("sha"), files.get(path)
        if existing is not None and sha is None:
            return 422, {"message": 'Invalid request.\n\n"sha" wasn\'t supplied.'}
        if sha is not None and (existing is None or sha != blob_sha(existing)):
            return 409, {"message": f"{path} does not match {sha}"}
        files[path] = content
        commit = repo.commit(branch, files)
        status = 201 if existing is None else 200
        return status, {"content": _file(repo, path, content), "commit": {"sha": commit}}

    def _list_pulls(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        state, head = params.get("state", "open"), params.get("head")
        pulls = [
            p
            for p in repo.pulls
            if state in ("all", p["state"]) and head in (None, p["head"]["label"])
        ]
        return 200, _paged(pulls, params)

    def _create_pull(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        owner = repo.full_name.split("/")[0]
        head = str(params.get("head", "")).removeprefix(f"{owner}:")
        base = str(params.get("base", ""))
        if not params.get("title"):
            return _invalid("PullRequest", {"field": "title", "code": "missing_field"})
        for name, branch in (("head", head), ("base", base)):
            if branch not in repo.branches:
                return _invalid("PullRequest", {"field": name, "code": "invalid"})
        label = f"{owner}:{head}"
        if any(p["head"]["label"] == label and p["base"]["ref"] == base for p in repo.open_pulls()):
            return _invalid(
                "PullRequest",
                {"code": "custom", "message": f"A pull request already exists for {label}."},
            )
        if repo.commits[repo.branches[head]] == repo.commits[repo.branches[base]]:
            return _invalid(
                "PullRequest",
                {"code": "custom", "message": f"No commits between {base} and {head}"},
            )
        number = next(repo.numbers)
        pull = {
            "number": number,
            "html_url": repo.url("pull", number),
            "state": "open",
            "title": params["title"],
            "body": params.get("body"),
            "head": {"ref": head, "label": label, "sha": repo.branches[head]},
            "base": {"ref": base},
            "merged_at": None,
            "user": {"login": BOT_LOGIN},
        }
        repo.pulls.append(pull)
        repo.issues.append(
            {
                **_issue(repo, number, pull["title"], pull["body"]),
                "pull_request": {"url": pull["html_url"]},
            }
        )
        return 201, pull

    def _list_issues(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        state, creator = params.get("state", "open"), params.get("creator")
        issues = [
            i
            for i in repo.issues
            if state in ("all", i["state"]) and creator in (None, i["user"]["login"])
        ]
        return 200, _paged(issues, params)

    def _create_issue(self, repo: Repo, match: Any, params: dict[str, Any]) -> Answer:
        if not params.get("title"):
            return _invalid("Issue", {"field": "title", "code": "missing_field"})
        assignees = params.get("assignees") or []
        for login in assignees:
            if login not in repo.collaborators:
                return _invalid("Issue", {"field": "assignees", "code": "invalid", "value": login})
        issue = _issue(repo, next(repo.numbers), params["title"], params.get("body"))
        issue["assignees"] = [{"login": login} for login in assignees]
        repo.issues.append(issue)
        return 201, issue


def _answer(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


def _ref(branch: str, sha: str) -> dict[str, Any]:
    return {"ref": f"refs/heads/{branch}", "object": {"sha": sha, "type": "commit"}}


def _file(repo: Repo, path: str, content: bytes) -> dict[str, Any]:
    return {
        "type": "file",
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": blob_sha(content),
        "size": len(content),
        "html_url": repo.url("blob", path),
    }


def _issue(repo: Repo, number: int, title: str, body: str | None) -> dict[str, Any]:
    return {
        "number": number,
        "html_url": repo.url("issues", number),
        "title": title,
        "body": body,
        "state": "open",
        "user": {"login": BOT_LOGIN},
        "assignees": [],
    }


def _paged(items: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Newest first unless ``direction=asc``; ``per_page`` (default 30, at most 100), ``page``."""
    ordered = sorted(items, key=lambda i: i["number"], reverse=params.get("direction") != "asc")
    per_page = min(int(params.get("per_page", 30)), 100)
    start = (int(params.get("page", 1)) - 1) * per_page
    return ordered[start : start + per_page]
