"""Dashboard sessions: random tokens bound to a key's fingerprint, expiring, capped;
the admin auth takes a live one in place of the Bearer header."""

from __future__ import annotations

import pytest

from cc_relay.admin.auth import Lockout, authorize
from cc_relay.admin.sessions import MAX_SESSIONS, Sessions
from cc_relay.errors import AdminError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_token_is_random_and_never_the_key() -> None:
    sessions = Sessions()
    first, second = sessions.open("adm-1"), sessions.open("adm-1")
    assert first != second and "adm-1" not in first and len(first) >= 40
    assert sessions.who(first, ["adm-1"]) == sessions.who(second, ["adm-1"]) is not None


def test_sessions_expire() -> None:
    clock = Clock()
    sessions = Sessions(ttl=60, clock=clock)
    token = sessions.open("adm-1")
    clock.now += 59
    assert sessions.who(token, ["adm-1"]) is not None
    clock.now += 2
    assert sessions.who(token, ["adm-1"]) is None


def test_sessions_end_when_their_key_leaves_admin_keys() -> None:
    sessions = Sessions()
    token = sessions.open("adm-1")
    assert sessions.who(token, ["adm-2"]) is None
    assert sessions.who(token, ["adm-1"]) is None  # gone for good


def test_sessions_close_and_cap() -> None:
    sessions = Sessions()
    token = sessions.open("adm-1")
    sessions.close(token)
    assert sessions.who(token, ["adm-1"]) is None
    tokens = [sessions.open("adm-1") for _ in range(MAX_SESSIONS + 1)]
    assert sessions.who(tokens[0], ["adm-1"]) is None
    assert sessions.who(tokens[-1], ["adm-1"]) is not None


def test_authorize_takes_a_live_session_cookie() -> None:
    sessions = Sessions()
    token = sessions.open("adm-1")
    who = authorize(["adm-1"], None, "10.0.0.9", lockout=Lockout(), sessions=sessions, cookie=token)
    assert who.startswith("session of key ") and "adm-1" not in who
    for cookie in (None, "made-up"):
        with pytest.raises(AdminError) as refused:
            authorize(
                ["adm-1"], None, "127.0.0.1", lockout=Lockout(), sessions=sessions, cookie=cookie
            )
        assert refused.value.code == "unauthenticated"
    # A wrong Bearer header is not rescued by a good cookie.
    with pytest.raises(AdminError):
        authorize(
            ["adm-1"], "Bearer nope", "127.0.0.1", lockout=Lockout(), sessions=sessions,
            cookie=token,
        )  # fmt: skip
    # With no admin keys there is no sign-in: loopback only.
    with pytest.raises(AdminError) as remote:
        authorize([], None, "10.0.0.9", lockout=Lockout(), sessions=sessions, cookie=token)
    assert remote.value.code == "permission_denied"


def test_lockout_refuses_an_address_after_its_wrong_keys_for_the_rest_of_the_window() -> None:
    clock = Clock()
    lockout = Lockout(tries=3, window=60, clock=clock)
    for _ in range(3):
        assert not lockout.verify("guess", ["adm-1"], "10.0.0.9")
    # Locked: even the right key is refused now, before it is compared.
    with pytest.raises(AdminError) as locked:
        lockout.verify("adm-1", ["adm-1"], "10.0.0.9")
    assert locked.value.code == "resource_exhausted"
    assert "try again in 60 s" in locked.value.message and "adm-1" not in locked.value.message
    # Another address is not affected.
    assert lockout.verify("adm-1", ["adm-1"], "10.0.0.10")
    clock.now += 45
    with pytest.raises(AdminError, match="try again in 15 s"):
        lockout.check("10.0.0.9")
    clock.now += 15
    assert lockout.verify("adm-1", ["adm-1"], "10.0.0.9")


def test_lockout_counts_in_windows_and_a_right_key_does_not_reset_them() -> None:
    clock = Clock()
    lockout = Lockout(tries=3, window=60, clock=clock)
    lockout.failed("10.0.0.9")
    lockout.failed("10.0.0.9")
    clock.now += 61  # a new window: the old wrong keys are forgotten
    lockout.failed("10.0.0.9")
    assert lockout.verify("adm-1", ["adm-1"], "10.0.0.9")
    lockout.failed("10.0.0.9")
    lockout.failed("10.0.0.9")
    with pytest.raises(AdminError):
        lockout.check("10.0.0.9")
