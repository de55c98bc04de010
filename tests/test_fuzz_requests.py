"""A table of malformed requests through `serve`'s real app: never a 5xx, never an ERROR log.

Over 400 requests: JSON bodies of every wrong shape, documents at and past the limits, cursors
and ids no page or object ever issued, headers of the wrong shape, and Slack requests that are
unsigned, badly signed, or signed but unreadable. Each answer must be a 4xx (or a 200 carrying
GraphQL errors), and nothing may be logged at ERROR: a client's mistake is not a server error.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from sandbox.slack import running_fake_slack
from sync_core import records
from sync_core.store import connections, inventory, organizations
from tests.graphql.test_bad_input import CURSOR_FIELDS, MALFORMED_CURSORS
from tests.test_hardening import SEEN, SIGNING_SECRET, open_web, web_settings

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ORG = "{ organization { name } }"


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | str = b""
    method: str = "POST"
    path: str = "/graphql"
    headers: dict[str, str | bytes] = field(default_factory=dict)
    token: bool = True  # send the API token (GraphQL)
    sign: bool = False  # sign the body as Slack would (Slack)


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def gql(query: str, **variables: object) -> str:
    return json.dumps({"query": query, "variables": variables})


MULTIPART = "multipart/form-data; boundary=x"
VARIABLES = '{"query": "' + ORG + '", "variables": '


def bodies() -> Iterator[Case]:
    """POST /graphql bodies that are not a GraphQL request, or not a sane one."""
    raw = [
        '"x"',
        "1",
        "-1e999",
        "null",
        "true",
        "[]",
        "[1]",
        "[{}]",
        "{}",
        "{",
        "}",
        "",
        '{"query": null}',
        '{"query": 1}',
        '{"query": []}',
        '{"query": {}}',
        '{"query": "{"}',
        '{"query": ""}',
        '{"query": NaN}',
        '{"query": "\\ud800"}',
        "\ufeff" + json.dumps({"query": ORG}),
        json.dumps({"query": ORG, "variables": "x"}),
        json.dumps({"query": ORG, "variables": 1}),
        json.dumps({"query": ORG, "variables": []}),
        json.dumps({"query": ORG, "operationName": 1}),
        json.dumps({"query": ORG, "operationName": "nope"}),
        json.dumps({"query": ORG, "extensions": "x"}),
        json.dumps({"query": ORG, "extensions": []}),
        '{"query": "' + ORG + '", "query": 5}',
        VARIABLES + "[" * 50_000 + "]" * 50_000 + "}",
        VARIABLES + '{"a": ' + '{"a":' * 2_000 + "1" + "}" * 2_001 + "}",
    ]
    for n, body in enumerate(raw):
        yield Case(f"body {n}", body, headers={"content-type": JSON})
    yield Case("not utf-8", b"\xff\xfe{\x00}", headers={"content-type": JSON})
    for kind in ("text/plain", FORM, MULTIPART, "", "json"):
        yield Case(f"content-type {kind!r}", gql(ORG), headers={"content-type": kind})
    yield Case("multipart garbage", b"--x\r\n\r\n--x--", headers={"content-type": MULTIPART})


SEARCH = "query($s: String) { users(filter: {search: $s}) { totalCount } }"
FILTER = "query($f: UserFilter) { users(filter: $f) { totalCount } }"
FIRST = "query($n: Int) { users(first: $n) { totalCount } }"
SINCE = "query($s: DateTime) { activities(since: $s) { totalCount } }"
KINDS = "query($k: [String!]) { activities(kinds: $k) { totalCount } }"
APP = '"QXBwOjE"'  # App:1
SEAT = f"mutation($a: String) {{ setAppSeatCost(appId: {APP}, amount: $a, currency: $c) {{ id }} }}"
SEAT = SEAT.replace("mutation($a: String)", "mutation($a: String, $c: String)")
DAYS = "{ apps(first: 1) { edges { node { loginActivity(days: %d) { day } } } } }"
DOCUMENTS: list[tuple[str, dict[str, object]]] = [
    ("{" * 600 + "}" * 600, {}),
    ("{ organization " + "{ connections " * 30 + "{ id }" + "}" * 31, {}),
    ("{ " + "organization { name } " * 1500 + "}", {}),
    ("query { a: organization { name } } query { b: organization { name } }", {}),
    ("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }", {}),
    ("fragment A on Query { ...A } { ...A }", {}),
    ("subscription { organization { name } }", {}),
    ("{ users(first: 99999999999999999999) { totalCount } }", {}),
    ("{ users(first: -1) { totalCount } }", {}),
    ("{ users(first: 1.5) { totalCount } }", {}),
    (FIRST, {"n": 2**40}),
    (FIRST, {"n": 1e999}),
    (FIRST, {"n": True}),
    ('{ activities(since: "garbage") { totalCount } }', {}),
    (SINCE, {"s": "garbage"}),
    (SINCE, {"s": "9999-12-31T23:59:59"}),
    (SINCE, {"s": 1e300}),
    (KINDS, {"k": ["x"] * 5000}),
    (KINDS, {"k": [[["x"]]]}),
    ('{ activities(kinds: ["\\u0000"]) { totalCount } }', {}),
    ("{ activities(kinds: " + "[" * 300 + '"x"' + "]" * 300 + ") { totalCount } }", {}),
    (SEARCH, {"s": "\x00"}),
    (SEARCH, {"s": "x" * 300}),
    (FILTER, {"f": {"search": "%_\\"}}),
    (FILTER, {"f": {"department": "\x00"}}),
    (FILTER, {"f": {"nope": 1}}),
    (FILTER, {"f": "x"}),
    ("query($t: String) { users(filter: {tenantId: $t}) { totalCount } }", {"t": "\udcff"}),
    ("query($t: String) { syncRuns(tenantId: $t) { totalCount } }", {"t": "x" * 1000}),
    ('{ apps(filter: {search: "\\u0000"}) { totalCount } }', {}),
    ('{ apps(filter: {category: "' + "c" * 2000 + '"}) { totalCount } }', {}),
    ("{ apps(filter: {status: [IN_USE, INACTIVE, DISCOVERED]}) { totalCount } }", {}),
    ('{ insights(tenantId: "nope") { appCounts { inUse } } }', {}),
    (DAYS % 0, {}),
    (DAYS % 2147483647, {}),
    ('mutation { startSync(tenantId: "nope") { alreadyActive } }', {}),
    (SEAT, {"a": "1e999999", "c": "EUR"}),
    (SEAT, {"a": "NaN", "c": "EUR"}),
    (SEAT, {"a": "-1", "c": "EUR"}),
    (SEAT, {"a": "1", "c": "\x00"}),
    (SEAT, {"a": "1", "c": "E" * 100}),
    (f'mutation {{ setAppCategory(appId: {APP}, category: "{"c" * 5000}") {{ id }} }}', {}),
    (
        f'mutation {{ setAppStage(appId: {APP}, stage: APPROVED, note: "{"n" * 2000}") {{ id }} }}',
        {},
    ),
    ("{ __schema { types { name fields { name type { name ofType { name } } } } } }", {}),
]


def documents() -> Iterator[Case]:
    """Valid JSON, bad documents and variables."""
    for n, (query, variables) in enumerate(DOCUMENTS):
        yield Case(f"document {n}", gql(query, **variables), headers={"content-type": JSON})


def cursors() -> Iterator[Case]:
    for name, selection in CURSOR_FIELDS.items():
        for n, cursor in enumerate(MALFORMED_CURSORS):
            body = gql(f"query($c: String) {{ {selection} }}", c=cursor)
            yield Case(f"cursor {name} {n}", body, headers={"content-type": JSON})


BAD_KEYS = [
    "",
    "%%%",
    "0",
    "-1",
    "1.5",
    " 1",
    "1 ",
    "1_0",
    "99999999999999999999",
    "9" * 5000,
    "\x001",
    "1:2",
    "0x10",
    "NaN",
    "٣",
]


def ids() -> Iterator[Case]:
    lookups = {
        "User": "query($id: ID!) { user(id: $id) { id } }",
        "App": "query($id: ID!) { app(id: $id) { id } }",
        "SyncRun": "query($id: ID!) { syncRun(id: $id) { id } }",
        "App ": "mutation($id: ID!) { setAppStage(appId: $id, stage: APPROVED) { id } }",
    }
    for kind, query in lookups.items():
        values = [b64(f"{kind.strip()}:{key}") for key in BAD_KEYS]
        values += ["%%%", "", b64("Other:1"), b64(b"\xff\xfe"), "=" * 10, "a" * 3000]
        for n, value in enumerate(values):
            yield Case(f"id {kind} {n}", gql(query, id=value), headers={"content-type": JSON})


def headers() -> Iterator[Case]:
    auths: list[str | bytes] = [
        "Bearer",
        "Bearer  ",
        "bearer avt_x",
        "Bearer " + "a" * 10_000,
        "Basic Zm9vOmJhcg==",
        "Bearer avt_\u00e9".encode("latin-1"),
        b"Bearer \xff\xfe",
        "Bearer avt_" + "x" * 500,
    ]
    for n, auth in enumerate(auths):
        yield Case(
            f"authorization {n}",
            gql(ORG),
            token=False,
            headers={"content-type": JSON, "authorization": auth},
        )
    for accept in (
        "text/html",
        "*/*",
        "text/event-stream",
        "multipart/mixed",
        "\u00e9".encode("latin-1"),
    ):
        yield Case(f"GET accept {accept!r}", method="GET", headers={"accept": accept})
        yield Case(
            f"GET accept {accept!r} query",
            method="GET",
            path=f"/graphql?query={ORG}",
            headers={"accept": accept},
        )
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        yield Case(f"{method} /graphql", gql(ORG), method=method, headers={"content-type": JSON})
        yield Case(f"{method} /slack/events", "x", method=method, path="/slack/events")
    yield Case("GET with variables", method="GET", path="/graphql?query=" + ORG + "&variables=[[[")
    yield Case(
        "content-length lies", gql(ORG), headers={"content-type": JSON, "content-length": "abc"}
    )


SLACK_BODIES: list[tuple[str, str | bytes]] = [
    (FORM, "token=x&command=%2Fapps&text=&team_id=T1&user_id=U1&channel_id=C1"),
    (JSON, '{"type": "url_verification", "challenge": "c"}'),
    (JSON, "{"),
    (JSON, "[1]"),
    (JSON, "null"),
    (JSON, '"x"'),
    (JSON, ""),
    (FORM, "payload=%7B"),
    (FORM, "payload=%5B1%5D"),
    (FORM, "payload=null"),
    (FORM, "payload="),
    (FORM, "payload=%FF%FE"),
    (FORM, b"\xff\xfe"),
    (FORM, "{not json"),
    ("text/plain", "x"),
    (JSON, '{"type": "event_callback", "event": []}'),
    (JSON, '{"type": "block_actions"}'),
    (FORM, "payload=" + "%5B" * 2000),
    (FORM, "a=1&" * 2000),
    (JSON, "[" * 2000),
]
# Signed by someone holding the signing secret, i.e. Slack: the guard still refuses what Bolt
# cannot parse (not UTF-8, not a JSON object). What Slack signs and Bolt can parse is Bolt's.
SIGNED = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 19}
SLACK_HEADERS: list[dict[str, str | bytes]] = [
    {},
    {"x-slack-request-timestamp": "abc"},
    {"x-slack-request-timestamp": ""},
    {"x-slack-request-timestamp": "1e10", "x-slack-signature": "v0=" + "0" * 64},
    {"x-slack-request-timestamp": "9" * 5000, "x-slack-signature": "v0=" + "0" * 64},
    {"x-slack-signature": "v0=\u00e9".encode("latin-1")},
    {"x-slack-signature": "v0=" + "g" * 64},
    {"x-slack-signature": ""},
]


def slack() -> Iterator[Case]:
    for n, (content_type, body) in enumerate(SLACK_BODIES):
        for m, extra in enumerate(SLACK_HEADERS):
            yield Case(
                f"slack {n} headers {m}",
                body,
                path="/slack/events",
                headers={"content-type": content_type, **extra},
            )
        if n in SIGNED:
            yield Case(
                f"slack {n} signed",
                body,
                path="/slack/events",
                sign=True,
                headers={"content-type": content_type},
            )


CASES = [*bodies(), *documents(), *cursors(), *ids(), *headers(), *slack()]


def _signed(body: bytes) -> dict[str, str]:
    """Slack's v0 signature, computed on the bytes (slack_sdk's signer needs UTF-8)."""
    ts = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, "sha256")
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest.hexdigest()}"}


async def _send(http: httpx.AsyncClient, case: Case, token: str) -> httpx.Response:
    body = case.body.encode("utf-8", "surrogatepass") if isinstance(case.body, str) else case.body
    sent = dict(case.headers)
    if case.token and case.path == "/graphql":
        sent.setdefault("authorization", f"Bearer {token}")
    if case.sign:
        sent |= _signed(body)
    return await http.request(case.method, case.path, content=body or None, headers=sent)


async def _seed(token: str) -> None:
    """One tenant with a user and an app, so nested fields (App.users) resolve."""
    found = await organizations.authenticate(secret=token)
    assert found is not None
    conn = await connections.add_connection(
        organization_id=found.organization_id, tenant_id="aaaaaaaa-0000-0000-0000-000000000001"
    )
    user = records.User(entra_id="u-1", display_name="Ada")
    app = records.App(
        entra_id="sp-1",
        app_id="app-1",
        display_name="App",
        owner_tenant_id="vendor",
        principal_type="Application",
    )
    await inventory.upsert_users(connection_id=conn.id, users=[user], seen_at=SEEN)
    await inventory.upsert_apps(connection_id=conn.id, apps=[app], seen_at=SEEN)


def test_the_table_is_large_enough():
    assert len(CASES) >= 400
    assert len({case.name for case in CASES}) == len(CASES)


async def test_no_malformed_request_gets_a_5xx_or_an_error_log(database_url, caplog):
    failures: list[str] = []
    async with running_fake_slack() as fake:
        settings = web_settings(database_url, slack_api_url=fake.api_url)
        async for web in open_web(settings, raise_app_exceptions=False):
            await _seed(web.token)
            with caplog.at_level(logging.INFO):
                for case in CASES:
                    response = await _send(web.http, case, web.token)
                    if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in response.text:
                        failures.append(
                            f"{case.name}: {response.status_code} {response.text[:160]}"
                        )
    errors = [
        f"{r.name}: {r.getMessage()[:160]}" for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert not failures, f"{len(failures)} of {len(CASES)} answered 5xx: {failures[:10]}"
    assert not errors, f"{len(errors)} ERROR lines: {errors[:10]}"
