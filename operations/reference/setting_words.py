"""What each setting means, in words: the one part of the settings reference the code cannot say.

Every setting the project reads (found in its settings models, ``settings_page.py``) needs an
entry here, or ``python -m operations.reference`` refuses to write and tests/test_reference.py
fails: a new setting is documented, and reaches `.env.example`, or nothing ships. ``env`` is the
value `.env.example` sets for the compose stack; without it the line is shown commented out,
with the default. ``policy`` marks what the worker records in each incident's policy when it
opens (tests/test_reference.py checks each mark against ``Settings.policy()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Group(Enum):
    """The sections of the settings page and of `.env.example`, in order: (title, intro)."""

    TEMPORAL = (
        "Temporal",
        "Where the worker, the relay, the intake and the CLI connect, and with which credentials. "
        "A CLI's shell needs only these and who you are.",
    )
    PROCESS = (
        "The organisation's process",
        "Read from the worker's environment when an incident opens and recorded in its policy: "
        "a running incident keeps the values it opened with.",
    )
    SLACK = (
        "Slack",
        "The Slack app (docs/admin/slack-app.md): the worker posts with the bot token, the relay "
        "receives `/incident`, the buttons and the forms.",
    )
    STATUSPAGE = (
        "Statuspage",
        "Both `STATUSPAGE_API_KEY` and `STATUSPAGE_PAGE_ID`, or the page posts go to the console.",
    )
    GITHUB = (
        "GitHub",
        "The retro as a pull request and the actions as issues; the repositories are recorded in "
        "each incident's policy when it opens.",
    )
    PAGERDUTY = (
        "PagerDuty",
        "On-call paged through PagerDuty's Events API v2 (docs/admin/pagerduty.md): both "
        "`INCIDENT_PAGER=on` and `PAGERDUTY_ROUTING_KEY`; the key stays the worker's.",
    )
    INTAKE = ("The alarm intake", "Read by `incident intake` alone.")
    SECURITY = ("Payload encryption", "Every process that talks to Temporal needs the same keys.")
    RUNNING = ("Running it", "The worker's metrics, and the CLI's own defaults.")

    @property
    def title(self) -> str:
        return self.value[0]

    @property
    def intro(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class About:
    group: Group
    meaning: str
    env: str | None = None
    policy: bool = False


_T, _P, _S, _SP = Group.TEMPORAL, Group.PROCESS, Group.SLACK, Group.STATUSPAGE
_G, _I, _C, _R = Group.GITHUB, Group.INTAKE, Group.SECURITY, Group.RUNNING
_PD = Group.PAGERDUTY

SETTINGS: dict[str, About] = {
    # Temporal
    "TEMPORAL_ADDRESS": About(_T, "Temporal's frontend, `host:port`.", env="temporal:7233"),
    "TEMPORAL_NAMESPACE": About(_T, "The Temporal namespace incidents live in."),
    "TEMPORAL_TASK_QUEUE": About(_T, "The task queue the workers poll and commands are sent to."),
    "TEMPORAL_TLS_CERT": About(
        _T,
        "mTLS client certificate file (with `TEMPORAL_TLS_KEY`): a self-hosted server with TLS, "
        "or Temporal Cloud with certificates. Compose: under `deploy/certs`, seen at `/certs`.",
    ),
    "TEMPORAL_TLS_KEY": About(_T, "The private key of `TEMPORAL_TLS_CERT`."),
    "TEMPORAL_TLS_CA": About(
        _T,
        "The CA that signed the server. Alone (without a client certificate): TLS trusting that "
        "CA, e.g. a self-hosted server's JWT authorizer with `TEMPORAL_API_KEY`.",
    ),
    "TEMPORAL_API_KEY": About(
        _T,
        "A Temporal Cloud API key, or a token for a self-hosted server's JWT authorizer (give the "
        "stack the role `default:write`); implies TLS.",
    ),
    # The process
    "INCIDENT_DELIVERY_MANAGERS": About(
        _P,
        "The delivery managers' Slack ids, comma-separated. Required for anything a delivery "
        "manager does; `incident dev` uses `U0DM` when unset. An incident opened while none were "
        "set takes them from the worker at its next delivery manager's command.",
        env="U012DM1,U012DM2",
        policy=True,
    ),
    "INCIDENT_INFOSEC_HEAD": About(
        _P,
        "The Head of Information Security's Slack id: invited to a security incident's channel "
        "and told directly.",
        env="U012SEC",
        policy=True,
    ),
    "INCIDENT_REMINDER_INTERVALS": About(
        _P,
        "The stale-progress reminder's cadence by severity: the lead is reminded when no update "
        "was posted for this long.",
        policy=True,
    ),
    "INCIDENT_DM_REMINDER_INTERVAL": About(
        _P,
        "How often the delivery managers are nudged while a report, an acknowledgement or a "
        "resolution waits for them.",
        policy=True,
    ),
    "INCIDENT_ESCALATE_AFTER": About(
        _P,
        "Unanswered reminders before the delivery managers are told (an alarm's report: "
        "unanswered nudges before the platform channel is told, naming the delivery managers).",
        policy=True,
    ),
    "INCIDENT_ALERT_REMINDER": About(
        _P,
        "How often the delivery managers are nudged, at any hour, while an alarm's report waits "
        "for one of them to accept, decline or ack it; also how long after its last entry an "
        "alarm's changes are counted rather than recorded (flapping).",
        policy=True,
    ),
    "INCIDENT_DELIVERY_HEARTBEAT_TIMEOUT": About(
        _P,
        "How long a delivery (a Slack message, a status page post, a pull request) may run "
        "without its worker's heartbeat: after that the worker is taken for dead and another "
        "worker delivers it, looking first for what the dead one did. Recorded when an incident "
        "opens, like every process setting.",
        policy=True,
    ),
    "INCIDENT_ASK_REMINDER": About(
        _P,
        "Someone asked to help (`ask`) is nudged once when they have not answered for this long, "
        "by severity (office hours as for reminders; a severity left out: never).",
        policy=True,
    ),
    "INCIDENT_STATUSPAGE_REMINDER": About(
        _P,
        "While the incident's status page incident is open, the delivery managers are nudged "
        "when the page was not posted to for this long, by severity (office hours as for "
        "reminders; a severity left out is not nudged; empty: off).",
        policy=True,
    ),
    "INCIDENT_OFFICE_HOURS": About(
        _P,
        "When sev2 and sev3 reminders may fire (sev1: at any hour), and what a working day is.",
        policy=True,
    ),
    "INCIDENT_HOLIDAYS": About(
        _P,
        "Bank holidays, as the `holidays` package names a calendar (`GB-ENG`, `GB-SCT`, …; "
        "empty: none): outside office hours and not working days (sev1 ignores them). This "
        "year's and next year's are recorded when an incident opens.",
        policy=True,
    ),
    "INCIDENT_RETRO_DUE": About(
        _P,
        "When the retro is due after resolution, by severity: days (`d`) or working days (`wd`).",
        policy=True,
    ),
    "INCIDENT_CHANNEL_MODE": About(
        _P,
        "`per_incident`: a channel per incident; `shared`: a thread per incident in "
        "`SLACK_RESPONSE_CHANNEL` (security incidents always get a private channel).",
        policy=True,
    ),
    "INCIDENT_ARCHIVE_ON_CLOSE": About(
        _P,
        "Archive the incident's channel when the retro closes it (never in shared mode).",
        policy=True,
    ),
    # Slack
    "SLACK_BOT_TOKEN": About(
        _S,
        "The Slack app's bot token (`xoxb-…`), shared by the worker and the relay. Unset: no "
        "Slack, messages go to the worker's console.",
    ),
    "SLACK_API_URL": About(_S, "Slack's Web API base; the tests point it at a stand-in."),
    "SLACK_PLATFORM_CHANNEL": About(
        _S, "Where incidents are announced and their resolution posted.", policy=True
    ),
    "SLACK_RESPONSE_CHANNEL": About(
        _S, "The shared channel when `INCIDENT_CHANNEL_MODE=shared`.", policy=True
    ),
    "SLACK_SIGNING_SECRET": About(
        _S, "The relay in HTTP mode: the app's signing secret, to verify every request."
    ),
    "SLACK_APP_TOKEN": About(
        _S, "The relay in Socket Mode: an app-level token (`xapp-…`) with `connections:write`."
    ),
    # Statuspage
    "STATUSPAGE_API_KEY": About(_SP, "An Atlassian Statuspage API key."),
    "STATUSPAGE_PAGE_ID": About(_SP, "The page incidents are posted to."),
    "STATUSPAGE_API_URL": About(_SP, "The Statuspage API base (`Authorization: OAuth <key>`)."),
    "STATUSPAGE_COMPONENTS": About(
        _SP,
        "The page components an incident affects: `id` or `id=status`, comma-separated (status "
        "`degraded_performance`, `partial_outage` (the default), `major_outage`, "
        "`under_maintenance`); `operational` again at resolution.",
    ),
    # GitHub
    "GITHUB_TOKEN": About(
        _G,
        "The worker's GitHub token: fine-grained, or a GitHub App installation token, limited to "
        "the repositories below (contents and pull requests on the retro repositories, issues "
        "on the actions repository).",
    ),
    "GITHUB_API_URL": About(_G, "GitHub's REST API base (GitHub Enterprise: its own)."),
    "INCIDENT_RETRO_REPO": About(
        _G,
        "Where retros go as pull requests, `owner/name` (unset: off).",
        policy=True,
    ),
    "INCIDENT_RETRO_PATH": About(_G, "The folder retros are written to.", policy=True),
    "INCIDENT_SECURITY_RETRO_REPO": About(
        _G,
        "A private repository for security incidents' retros (unset: the retro repository, only "
        "if GitHub says it is private).",
        policy=True,
    ),
    "INCIDENT_ACTIONS_REPO": About(
        _G, "Where the retro's actions go as issues, `owner/name` (unset: off).", policy=True
    ),
    # PagerDuty
    "PAGERDUTY_ROUTING_KEY": About(
        _PD,
        "The integration key of the PagerDuty service to page (an Events API v2 integration). "
        "Unset: nothing can be paged.",
    ),
    "PAGERDUTY_EVENTS_URL": About(
        _PD, "PagerDuty's Events API base; the tests point it at a stand-in."
    ),
    "INCIDENT_PAGER": About(
        _PD,
        "`on`: a sev1, and an alarm's report nobody answered after its escalation, page on-call; "
        "acknowledged and resolved as the incident is (`off`: never).",
        policy=True,
    ),
    # The alarm intake
    "INCIDENT_SNS_TOPICS": About(
        _I, "The SNS topic ARNs messages are accepted from, comma-separated."
    ),
    "INCIDENT_SNS_CERT_URL": About(
        _I,
        "A regular expression every URL fetched for SNS (the signing certificate, a "
        "`SubscribeURL`) must match whole; the default is HTTPS on "
        "`sns.<region>.amazonaws.com(.cn)` only.",
    ),
    "INCIDENT_ALERT_TOKENS": About(
        _I,
        "The bearer tokens senders may present, 16+ characters each, comma-separated: one per "
        "sender, so one can be rotated alone.",
    ),
    "INCIDENT_GRAFANA_SECRET": About(
        _I, "The HMAC secret of Grafana's webhook contact point, 16+ characters."
    ),
    "INCIDENT_HEARTBEATS": About(
        _I,
        "The monitors that check in, and how often they promised to: "
        "`uptime-robot=10m,nightly-backup=1d`.",
    ),
    # Payload encryption
    "INCIDENT_CODEC_KEYS": About(
        _C,
        "Keys that encrypt every Temporal payload: `ID:BASE64` of 32 random bytes each "
        "(`openssl rand -base64 32`), comma-separated; the first encrypts, all decrypt. Unset: "
        "payloads are not encrypted. Production must set one.",
    ),
    "INCIDENT_CODEC_CORS_ORIGINS": About(
        _C,
        "The Web UI origins allowed to call `incident codec-server`, comma-separated.",
        env="http://localhost:8080",
    ),
    # Running it
    "INCIDENT_METRICS_PORT": About(
        _R, "The worker serves Prometheus metrics at `http://…:PORT/metrics` (unset: off)."
    ),
    "INCIDENT_USER": About(_R, "Who you are on the command line: the default `--as`."),
    "INCIDENT_DATA_DIR": About(_R, "`incident dev`: where its SQLite file and server log go."),
    "INCIDENT_CLI_TIMEOUT_SECONDS": About(
        _R, "How long the CLI waits for the server, or for a worker to take a command."
    ),
}

# docker-compose.yml's own knobs (read by compose alone, never by the incident services).
COMPOSE_KNOBS: dict[str, str] = {
    "TEMPORAL_BIND": "The interface Temporal's frontend (7233) is published on. Publish it "
    "further only with Temporal's authorisation on (docs/operators/security.md).",
    "TEMPORAL_UI_BIND": "The interface the Web UI (8080) is published on; behind sign-in only.",
    "TEMPORAL_DISABLE_WRITE_ACTIONS": "Keep the Web UI read-only: with write actions, anyone who "
    "reaches it can send any command as anyone.",
    "TEMPORAL_RETENTION": "How long Temporal keeps closed incidents (and so how far back "
    "`incident stats` sees).",
    "POSTGRES_PASSWORD": "The password of PostgreSQL's `temporal` user.",
    "TEMPORAL_ADMIN_TOKEN": "With the JWT authorizer: `temporal-setup`'s token, with the role "
    "`temporal-system:admin` (its commented lines in docker-compose.yml).",
    "TEMPORAL_UI_CLIENT_SECRET": "With the Web UI's sign-in: its OIDC client secret.",
    "INCIDENT_BUILD_COMMIT": "The commit the image is built from (`git rev-parse --short=12 "
    "HEAD` when building): the worker reports `1.0.0+<commit>` as its build id, which the Web "
    "UI shows on every workflow task.",
}
