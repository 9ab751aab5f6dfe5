"""Inspecting one access token: which account it reaches and whether it works
(docs/copernica.md, "Checking a token")."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .api import CopernicaAPI
from .clock import iso
from .models import CachedJwt, Outcome, Verdict
from .secret import Secret

log = logging.getLogger("copernica_core")

@dataclass(frozen=True)
class Inspection:
    result: Verdict
    new_jwt: CachedJwt | None = None  # a JWT fetched during this inspection, to cache
    drop_cached_jwt: bool = False  # identity refused the cached JWT: it must not be used again


def inspect_token(
    api: CopernicaAPI,
    token: Secret,
    *,
    expected_account_id: str | None = None,
    cached_jwt: CachedJwt | None = None,
    now: datetime | None = None,
) -> Inspection:
    """Ask Copernica which account `token` reaches, reusing a cached JWT on v4. Whatever
    Copernica answers ends as an outcome of this one check, never as an exception."""
    try:
        return _inspect(api, token, expected_account_id=expected_account_id, cached_jwt=cached_jwt,
                        now=now or datetime.now(UTC))
    except Exception as error:  # an answer no rule foresaw must not stop a run or a page
        log.warning("inspection failed: %s", type(error).__name__)
        return Inspection(Verdict(
            Outcome.UNEXPECTED, f"Copernica's answer could not be handled ({type(error).__name__}).", calls=1))


def _inspect(api: CopernicaAPI, token: Secret, *, expected_account_id: str | None,
             cached_jwt: CachedJwt | None, now: datetime) -> Inspection:
    if api.settings.api_version != 4:
        reply = api.identity(token=token)
        result = reply.failure or _judge(reply.account, expected_account_id)
        return Inspection(replace(result, http_status=reply.answer.status,
                                  latency_ms=reply.answer.latency_ms, calls=1))

    calls, latency, new_jwt, dropped = 0, 0.0, None, False
    jwt = cached_jwt if cached_jwt and cached_jwt.usable(now) else None
    for attempt in range(2):
        if jwt is None:
            jwt_reply = api.fetch_jwt(token)
            calls += 1
            latency += jwt_reply.answer.latency_ms
            if jwt_reply.failure is not None:
                return Inspection(replace(jwt_reply.failure, latency_ms=latency, calls=calls),
                                  drop_cached_jwt=dropped)
            jwt = new_jwt = CachedJwt(jwt_reply.jwt, jwt_reply.expires_at)
        reply = api.identity(jwt=jwt.jwt)
        calls += 1
        latency += reply.answer.latency_ms
        if reply.failure is not None and reply.failure.outcome is Outcome.INVALID_TOKEN:
            # Any refusal of a JWT (401, 403 or a 400 in any words: Copernica rotates its
            # signing key) kills that JWT. A cached one is replaced by a fresh one, once; a
            # fresh one refused too means the access token itself no longer works.
            dropped = True
            if new_jwt is None and attempt == 0:
                jwt = None
                continue
            new_jwt = jwt = None
        break
    result = reply.failure or _judge(reply.account, expected_account_id)
    expires = iso(jwt.expires_at) if jwt else None
    result = replace(result, http_status=reply.answer.status, latency_ms=latency,
                     calls=calls, jwt_expires_at=expires)
    return Inspection(result, new_jwt=new_jwt, drop_cached_jwt=dropped)


def _judge(account, expected_account_id: str | None) -> Verdict:
    if expected_account_id is not None and account.id != expected_account_id:
        return Verdict(
            Outcome.ACCOUNT_CHANGED,
            f"The token now reaches account {account.name or '?'} (id {account.id}), "
            f"not the stored account id {expected_account_id}.",
            account=account,
        )
    return Verdict(
        Outcome.VALID, f"Works: account {account.name or '?'} (id {account.id}).", account=account
    )
