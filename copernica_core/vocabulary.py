"""One vocabulary per outcome: every word, colour and icon a reader meets for a connection's
status, in one table, so that "unavailable" reads the same on a badge, in an alert, in a chart
and in a report, and so that a translation has one place to plug into (docs/architecture.md,
"Words"). Keyed by the stored status (`Outcome`'s values): models.py builds on this module,
not the other way round.

Who reads what:
- `label`, `colour`, `icon`: the badge on every page, the status column, the chart's legend and
  an alert's line; `chart_colour` where a chart must tell two reds apart.
- `summary`: what the status means, for a marketing user (Inspect, the report's legend).
- `hint`: the general next step (`advice.what_to_do` says it for one connection and reader).
- `title`: what happened, in an alert's title ("Bloom Florists: token revoked or invalid").
- `client_label`, `client_words`: what the client reads in the report written for it; never
  "token", "JWT" or "OAuth". `{us}` is the agency; `client_with_link` is used when the report
  carries a link the client can use (`{link}`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Words:
    label: str
    colour: str  # a colour name of PALETTE (Streamlit's badge colours)
    icon: str
    summary: str
    hint: str
    title: str
    client_label: str
    client_words: str
    client_with_link: str = ""
    chart_colour: str = ""  # a PALETTE name, when the chart needs another shade than the badge's

    @property
    def chart(self) -> str:
        return PALETTE[self.chart_colour or self.colour][0]

    @property
    def printed(self) -> str:
        """The colour on a printed page (darker than the screen's, to read on paper)."""
        return PALETTE[self.colour][1]

    def for_the_client(self, *, us: str, link: str = "") -> str:
        return (self.client_with_link if link and self.client_with_link else self.client_words).format(
            us=us, link=link)


# Colour name → (on screen: Streamlit's own palette, printed).
PALETTE = {"green": ("#21c354", "#1a7f37"), "red": ("#ff4b4b", "#cf222e"), "dark red": ("#a40e26", "#a40e26"),
           "orange": ("#ffa421", "#bc4c00"), "yellow": ("#faca2b", "#9a6700"), "violet": ("#803df5", "#8250df"),
           "gray": ("#a3a8b8", "#57606a")}

_NOT_KNOWN = "Copernica did not answer the last check as expected; nothing to do for you: {us} keeps checking."

# In the order a reader meets them in a legend or a filter: working first.
VOCABULARY: dict[str, Words] = {
    "valid": Words(
        label="Valid", colour="green", icon=":material/check_circle:",
        summary="This connection works: Copernica accepted its token at the last check.",
        hint="Nothing to do.",
        title="working again",
        client_label="Working", client_words=""),
    "invalid_token": Words(
        label="Invalid token", colour="red", icon=":material/key_off:",
        summary="Copernica no longer accepts this connection's token: it was revoked in Copernica, it expired, or "
                "it is wrong. Nothing using this connection reaches Copernica now.",
        hint="Re-authorize this connection on the Authorize page (or paste a new token).",
        title="token revoked or invalid",
        client_label="Access stopped working (refused by Copernica)",
        client_words="The access you gave has stopped working; {us} will send you a link to give it again.",
        client_with_link="The access you gave has stopped working; give it again with this link: {link}"),
    "account_changed": Words(
        label="Account changed", colour="red", icon=":material/warning:", chart_colour="dark red",
        summary="This connection's token now reaches a different Copernica account than the one it was connected "
                "to. Anything using it may read or change the wrong account.",
        hint="Critical: stop using this connection and check in Copernica who changed it; then re-authorize the "
             "right account.",
        title="token now reaches another account",
        client_label="Reaches another account",
        client_words="The access now reaches another Copernica account than the one you gave; {us} is looking "
                     "into it."),
    "unavailable": Words(
        label="Unavailable", colour="orange", icon=":material/cloud_off:",
        summary="Copernica could not be reached at the last check. This is usually brief and passes by itself; "
                "the token itself is not known to be broken.",
        hint="Retry later; if it persists, check Copernica's status and this machine's network.",
        title="Copernica not answering",
        client_label="Copernica unreachable",
        client_words=_NOT_KNOWN),
    "rate_limited": Words(
        label="Rate limited", colour="yellow", icon=":material/speed:",
        summary="Copernica asked this dashboard to slow down at the last check (too many requests). The token "
                "itself is not known to be broken.",
        hint="Wait a little and check again; lower the concurrency for large check-alls.",
        title="rate limited",
        client_label="Slowed down by Copernica",
        client_words=_NOT_KNOWN),
    "unexpected": Words(
        label="Unexpected answer", colour="violet", icon=":material/help:",
        summary="Copernica's answer at the last check was not one this dashboard understands, so whether the "
                "connection works is not known.",
        hint="Look at the detail below; if it persists, report it with the detail.",
        title="unexpected answer from Copernica",
        client_label="Unexpected answer",
        client_words=_NOT_KNOWN),
    "unchecked": Words(
        label="Not checked", colour="gray", icon=":material/schedule:",
        summary="This connection has not been checked yet.",
        hint="Check it now to see whether it works.",
        title="not checked yet",
        client_label="Not checked yet",
        client_words="Not checked yet; nothing to do for you."),
}

REQUIRED = tuple(f.name for f in fields(Words) if f.name not in ("client_with_link", "chart_colour"))


def words(status: str) -> Words:
    """The words of a status (an `Outcome`, or a stored status; one this version does not know
    reads as an unexpected answer)."""
    return VOCABULARY.get(str(status), VOCABULARY["unexpected"])
