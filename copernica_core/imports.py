"""Access tokens from a CSV file (`label,token[,client]`, comma or semicolon separated), for
the command line's `import-tokens` and the Credentials page: the file is read whole first, so
a malformed one imports nothing, and each row gets its verdict before anything is stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from .errors import BadInput
from .models import Connection, Verdict
from .neutralise import for_terminal
from .secret import Secret
from .validation import TOKEN_MAX, credential_problem, text_problem


@dataclass(frozen=True)
class ImportRow:
    number: int  # the line in the file (the header is line 1)
    label: str
    token: str
    client: str

    @property
    def problem(self) -> str:
        """Why this row cannot be imported as it is ('' when it may be tried)."""
        return (credential_problem(self.token, name="Access token", max_len=TOKEN_MAX)
                or text_problem(self.label, name="Label", required=False)
                or text_problem(self.client, name="Client", required=False) or "")


@dataclass(frozen=True)
class RowResult:
    """What importing one row did: `verb` is imported, updated or refused."""

    row: ImportRow
    verb: str
    message: str
    connection_id: int | None = None

    @property
    def line(self) -> str:
        return f"row {self.row.number}: {self.message}"


def decode_csv(data: bytes, *, name: str = "the file") -> str:
    """A CSV file's text as Excel writes it: UTF-8 (with or without a byte-order mark: "CSV
    UTF-8"), UTF-16 with its mark ("Unicode text"), or else Windows-1252 (Excel's plain "CSV" on
    Windows, where "Één" is C9 E9 6E); BadInput saying how to save it when it is none of these."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise BadInput({"file": f"{for_terminal(name)} is not text this program can read: in Excel, save it with "
                                "Save As → “CSV UTF-8 (comma delimited)”; nothing was imported."}) from None


def read_token_csv(text: str, *, name: str = "the file") -> list[ImportRow]:
    """Every row of the file; BadInput (nothing read) when it has no `label,token` header or is
    not CSV. What Excel writes is fine: a byte-order mark, a Dutch Excel's semicolons (or tabs),
    a first line `sep=;`, and trailing rows of separators only (`;;;;`), which are no rows."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0].strip()
    if len(first_line) == 5 and first_line.lower().startswith("sep="):  # Excel's hint: that separator
        delimiter, text = first_line[4], text.split("\n", 1)[1] if "\n" in text else ""
    else:
        counts = {d: first_line.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "token" not in fields or "label" not in fields:
            raise BadInput({"file": f"{for_terminal(name)} has no header `label,token` (found: "
                                    f"{for_terminal(', '.join(fields)) or 'nothing'}); nothing was imported."})
        reader.fieldnames = fields
        return [ImportRow(number, (r.get("label") or "").strip(), (r.get("token") or "").strip(),
                         (r.get("client") or "").strip())
                for number, r in enumerate(reader, start=2)
                if any((value or "").strip() for value in r.values() if isinstance(value, str))]
    except csv.Error as error:  # a field over csv's size limit, say
        raise BadInput({"file": f"{for_terminal(name)} cannot be read as CSV ({error}); nothing was "
                                "imported."}) from None


def summary(results: list[RowResult]) -> str:
    """'3 imported, 1 updated, 2 refused'."""
    return ", ".join(f"{sum(r.verb == verb for r in results)} {verb}" for verb in ("imported", "updated", "refused"))


@dataclass(frozen=True)
class PasteAttempt:
    """A pasted token's verification: the connection if Copernica accepted it and it was
    stored, else why not (`result`, or `conflict`: the connection it would have taken over)."""

    result: Verdict
    connection: Connection | None = None
    replaced: bool = False
    conflict: Connection | None = None
    would_change: tuple[str, ...] = ()  # what storing it would have changed in `conflict`


def would_change(existing: Connection, *, token: Secret, label: str | None, client: str | None) -> tuple[str, ...]:
    """What storing a token (with a label and client) would change in the connection it reaches."""
    client = (client or "").strip()
    return tuple(name for name, differs in (
        ("token", token.fingerprint() != existing.token_fingerprint),
        ("label", bool(label) and label != existing.label),
        ("client", bool(client) and client != existing.client)) if differs)


def import_row(row: ImportRow, paste: Callable[..., PasteAttempt]) -> RowResult:
    """One row imported by `paste` (Workspace.add_token), and what it did in a sentence."""
    if row.problem:
        return RowResult(row, "refused", f"not imported: {row.problem}")
    try:
        attempt = paste(row.token, label=row.label or None, client=row.client or None)
    except BadInput as refused:
        return RowResult(row, "refused", f"not imported: {refused.message}")
    return row_result(row, attempt)


def row_result(row: ImportRow, attempt: PasteAttempt) -> RowResult:
    """What importing a row did, in a sentence, from its paste attempt."""
    if attempt.conflict is not None:
        other = attempt.conflict
        return RowResult(row, "refused", (
            f"not imported: this token reaches account {other.account.name} (id {other.account.id}), already "
            f"connected as #{other.id} “{other.label}”" + (f" (client {other.client})" if other.client else "")
            + f"; it would change its {' and '.join(attempt.would_change)}: allow replacing to do that"))
    if attempt.connection is None:
        return RowResult(row, "refused", f"not imported: {attempt.result.outcome.value}: {attempt.result.message}")
    c = attempt.connection
    verb = "updated" if attempt.replaced else "imported"
    return RowResult(row, verb, f"{verb} #{c.id} “{c.label}” → account {c.account.name} (id {c.account.id})"
                                + (f", client {c.client}" if c.client else ""), c.id)
