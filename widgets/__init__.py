"""Shared widgets for the pages, one module per job: the run (run.py), safe text and times
(words.py), statuses (status.py), connections (connections.py), the Overview's counters, banner and
client panel (overview.py), a connection's fixes and history
on Inspect (fixes.py, history.py), connect links and the redirect (links.py), and the watcher
(watcher.py). Pages use them as `ui.NAME`."""

from . import client  # noqa: F401
from .connections import (  # noqa: F401
    MAX_CARDS,
    PICK_FROM_LIST,
    attention_cards,
    connection_from_query,
    connection_name,
    connection_picker,
    connections_table,
    danger_button,
    report_downloads,
    show_connections_table,
)
from .fixes import fix_connection, label_client_or_disconnect  # noqa: F401
from .history import history_section  # noqa: F401
from .links import (  # noqa: F401
    LINK_BROWSER_COOKIE,
    authorization_result,
    connected_again,
    go_to,
    link_browser,
    link_sent_note,
    reconnect_link_button,
)
from .overview import client_panel, counters, empty_fleet, outage_banner, tab_says  # noqa: F401
from .run import (  # noqa: F401
    close_this_run,
    is_callback_only,
    is_link_visit,
    link_visit,
    live,
    no_outside_lookups,
    nothing_here,
    open_for_this_run,
    part_rerun_alone,
    refuse_framing,
    require,
    unexpected_error,
    workspace,
)
from .status import (  # noqa: F401
    STATUSES,
    explain_connection,
    status_badge,
    status_chart,
    status_label,
)
from .watcher import (  # noqa: F401
    checks_stopped_banner,
    watcher_line,
)
from .words import (  # noqa: F401
    WORD_JOINER,
    ago,
    as_datetime,
    clock_time,
    facts,
    field_error,
    person,
    span,
    text,
    when,
    zone,
    zone_label,
)
