"""Officials' accounts: argon2 password hashes, roles, sessions, login throttling, the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.admin.models import AdminSession, AdminUser, AuditEntry, LoginAttempt, LoginThrottle
from bot.admin.roles import ROLES
from bot.admin.texts import as_utc
from bot.store.models import utcnow
from bot.store.store import Store, typed_statement

THROTTLES: Table = LoginThrottle.__table__  # type: ignore[assignment]

Clock = Callable[[], dt.datetime]

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
# Throttling: this many failures in the window lock a username (or an address) until they age out.
FAILURES_PER_USERNAME = 5
FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = dt.timedelta(minutes=15)
SESSION_IDLE = dt.timedelta(hours=4)
SESSION_LIFETIME = dt.timedelta(hours=24)
TOUCH_EVERY = dt.timedelta(minutes=5)
ATTEMPTS_KEPT = dt.timedelta(days=7)  # sign-in attempts older than this are deleted


class AccountError(ValueError):
    """A user cannot be created or changed as asked; `code` names why (for the page)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def role_allows(role: str, needed: str) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, the library's (RFC 9106) defaults


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise AccountError(
            "password_length", f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )


def session_id(token: str) -> str:
    """What the sessions table keeps of a cookie token (so a leaked table opens no session)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The user behind a live session."""

    user_id: int
    username: str
    role: str
    session_id: str


@dataclass(frozen=True, slots=True)
class LoginLock:
    """A username or address that sign-in refuses until `until` (or an admin lifts it)."""

    kind: str  # user, ip
    name: str
    failures: int
    until: dt.datetime


# One attempt's slot: +1 in the current window, or a new window from now. One statement, so
# concurrent attempts are counted one after the other (PostgreSQL locks the row; SQLite has one writer).
TAKE_SLOT = typed_statement(
    "INSERT INTO admin_login_throttles (key, failures, window_started_at) VALUES (:key, 1, :now)"
    " ON CONFLICT (key) DO UPDATE SET"
    " failures = CASE WHEN admin_login_throttles.window_started_at < :since THEN 1"
    " ELSE admin_login_throttles.failures + 1 END,"
    " window_started_at = CASE WHEN admin_login_throttles.window_started_at < :since THEN :now"
    " ELSE admin_login_throttles.window_started_at END"
    " RETURNING failures",
    THROTTLES,
    since=THROTTLES.c.window_started_at.type,
    now=THROTTLES.c.window_started_at.type,
)


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: AdminUser | None = None
    throttled: bool = False
    first_refusal: bool = False  # the first attempt refused since the limit was reached (audited; later ones not)


class Accounts:
    """Users, sessions, sign-in attempts and the audit log, in the store's database."""

    def __init__(self, store: Store, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    # --- users ---------------------------------------------------------------------------

    async def create_user(self, username: str, password: str, role: str) -> AdminUser:
        username = username.strip().lower()
        if not USERNAME.fullmatch(username):
            raise AccountError("username", "a username is 3–64 of a–z 0–9 . _ - (starting with a letter or digit)")
        if role not in ROLES:
            raise AccountError("role", f"role must be one of {', '.join(ROLES)}")
        check_new_password(password)
        user = AdminUser(username=username, password_hash=hash_password(password), role=role, active=True)
        user.created_at = self.clock()
        try:
            async with self.store.sessions.begin() as session:
                session.add(user)
        except IntegrityError as exc:
            raise AccountError("username_taken", f"user {username!r} exists already") from exc
        return user

    async def users(self) -> list[AdminUser]:
        async with self.store.sessions() as session:
            return list((await session.execute(select(AdminUser).order_by(AdminUser.username))).scalars())

    async def user(self, user_id: int) -> AdminUser | None:
        async with self.store.sessions() as session:
            return await session.get(AdminUser, user_id)

    async def _active_admins(self) -> int:
        async with self.store.sessions() as session:
            query = select(func.count()).where(AdminUser.role == "admin", AdminUser.active.is_(True))
            return int((await session.execute(query)).scalar_one())

    async def _guard_last_admin(self, user: AdminUser) -> None:
        if user.role == "admin" and user.active and await self._active_admins() <= 1:
            raise AccountError("last_admin", "the last active admin cannot be demoted or locked")

    async def set_role(self, user_id: int, role: str) -> AdminUser:
        if role not in ROLES:
            raise AccountError("role", f"role must be one of {', '.join(ROLES)}")
        user = await self._existing(user_id)
        if role != "admin":
            await self._guard_last_admin(user)
        return await self._update(user_id, role=role)

    async def set_active(self, user_id: int, active: bool) -> AdminUser:
        user = await self._existing(user_id)
        if not active:
            await self._guard_last_admin(user)
        updated = await self._update(user_id, active=active)
        if not active:
            await self.end_sessions_of(user_id)
        return updated

    async def set_password(self, user_id: int, password: str) -> AdminUser:
        check_new_password(password)
        await self._existing(user_id)
        updated = await self._update(user_id, password_hash=hash_password(password))
        await self.end_sessions_of(user_id)
        return updated

    async def _existing(self, user_id: int) -> AdminUser:
        user = await self.user(user_id)
        if user is None:
            raise AccountError("no_user", f"no user {user_id}")
        return user

    async def _update(self, user_id: int, **values: Any) -> AdminUser:
        async with self.store.sessions.begin() as session:
            await session.execute(update(AdminUser).where(AdminUser.id == user_id).values(**values))
        return await self._existing(user_id)

    # --- signing in ----------------------------------------------------------------------

    async def _take_slots(self, username: str, ip: str) -> tuple[bool, bool]:
        """Count this attempt against its username and address, atomically: (allowed, first refusal).
        Not allowed when either is already at its limit (refuse without checking); concurrent
        attempts each get a distinct count."""
        now = self.clock()
        params = {"since": now - THROTTLE_WINDOW, "now": now}
        async with self.store.engine.begin() as conn:
            by_name = (await conn.execute(TAKE_SLOT, {**params, "key": f"user:{username}"})).scalar_one()
            by_ip = (await conn.execute(TAKE_SLOT, {**params, "key": f"ip:{ip}"})).scalar_one()
        allowed = int(by_name) <= FAILURES_PER_USERNAME and int(by_ip) <= FAILURES_PER_ADDRESS
        first = int(by_name) == FAILURES_PER_USERNAME + 1 or int(by_ip) == FAILURES_PER_ADDRESS + 1
        return allowed, not allowed and first

    async def _give_back(self, username: str, ip: str) -> None:
        """A sign-in succeeded: its slots are not failures."""
        keys = [f"user:{username}", f"ip:{ip}"]
        async with self.store.sessions.begin() as session:
            await session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key.in_(keys), LoginThrottle.failures > 0)
                .values(failures=LoginThrottle.failures - 1)
            )

    async def throttled(self, username: str, ip: str) -> bool:
        """Whether recent failures lock this username or address (without counting an attempt)."""
        since = self.clock() - THROTTLE_WINDOW
        limits = {f"user:{username.strip().lower()[:64]}": FAILURES_PER_USERNAME, f"ip:{ip[:64]}": FAILURES_PER_ADDRESS}
        async with self.store.sessions() as session:
            rows = await session.execute(
                select(LoginThrottle.key, LoginThrottle.failures).where(
                    LoginThrottle.key.in_(list(limits)), LoginThrottle.window_started_at >= since
                )
            )
            return any(failures >= limits[key] for key, failures in rows.tuples())

    async def locks(self) -> list[LoginLock]:
        """Usernames and addresses that sign-in refuses now (for the accounts page)."""
        since = self.clock() - THROTTLE_WINDOW
        async with self.store.sessions() as session:
            rows = await session.execute(
                select(LoginThrottle).where(LoginThrottle.window_started_at >= since).order_by(LoginThrottle.key)
            )
            found = []
            for row in rows.scalars():
                kind, _, name = row.key.partition(":")
                limit = FAILURES_PER_USERNAME if kind == "user" else FAILURES_PER_ADDRESS
                if row.failures >= limit:
                    until = as_utc(row.window_started_at) + THROTTLE_WINDOW
                    found.append(LoginLock(kind=kind, name=name, failures=row.failures, until=until))
            return found

    async def lift_lock(self, kind: str, name: str) -> bool:
        """Let a locked username ("user") or address ("ip") try again at once; False if it was not locked."""
        if kind not in ("user", "ip"):
            raise AccountError("lock_kind", "a lock is on a username (user) or an address (ip)")
        key = f"{kind}:{name.strip().lower()[:64] if kind == 'user' else name.strip()[:64]}"
        async with self.store.sessions.begin() as session:
            result = await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def authenticate(self, username: str, password: str, ip: str) -> LoginResult:
        """Check a sign-in (refused without checking while throttled); records the attempt.

        The attempt is counted before the password is checked, in one atomic step, so that
        concurrent guesses beyond the limit are refused unchecked; a success gives its count back.
        """
        username = username.strip().lower()[:64]
        ip = ip[:64]
        allowed, first_refusal = await self._take_slots(username, ip)
        if not allowed:
            return LoginResult(throttled=True, first_refusal=first_refusal)
        async with self.store.sessions() as session:
            user = (await session.execute(select(AdminUser).where(AdminUser.username == username))).scalar()
        if user is None:
            verify_password(_dummy_hash(), password)  # the same work as for a real user
            ok = False
        else:
            ok = verify_password(user.password_hash, password) and user.active
        now = self.clock()
        async with self.store.sessions.begin() as session:
            session.add(LoginAttempt(username=username, ip=ip, succeeded=ok, created_at=now))
            if ok and user is not None:
                await session.execute(update(AdminUser).where(AdminUser.id == user.id).values(last_login_at=now))
                if _hasher().check_needs_rehash(user.password_hash):
                    await session.execute(
                        update(AdminUser).where(AdminUser.id == user.id).values(password_hash=hash_password(password))
                    )
        if ok:
            await self._give_back(username, ip)
        return LoginResult(user=user if ok else None)

    async def start_session(self, user: AdminUser) -> str:
        """A new session for user; returns the cookie token."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        async with self.store.sessions.begin() as session:
            await session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
            await session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - ATTEMPTS_KEPT))
            session.add(
                AdminSession(
                    id=session_id(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
        return token

    async def signed_in(self, token: str) -> SignedIn | None:
        """The user of a live session (None if expired, idle too long, or the user is locked)."""
        sid = session_id(token)
        now = self.clock()
        async with self.store.sessions() as session:
            row = (
                await session.execute(
                    select(AdminSession, AdminUser)
                    .join(AdminUser, AdminUser.id == AdminSession.user_id)
                    .where(AdminSession.id == sid)
                )
            ).first()
        if row is None:
            return None
        found, user = row
        last_seen = as_utc(found.last_seen_at)
        if not user.active or as_utc(found.expires_at) <= now or now - last_seen > SESSION_IDLE:
            await self.end_session(token)
            return None
        if now - last_seen > TOUCH_EVERY:
            async with self.store.sessions.begin() as session:
                await session.execute(update(AdminSession).where(AdminSession.id == sid).values(last_seen_at=now))
        return SignedIn(user_id=user.id, username=user.username, role=user.role, session_id=sid)

    async def end_session(self, token: str) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(delete(AdminSession).where(AdminSession.id == session_id(token)))

    async def end_sessions_of(self, user_id: int) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(delete(AdminSession).where(AdminSession.user_id == user_id))

    # --- audit ---------------------------------------------------------------------------

    async def audit(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> None:
        async with self.store.sessions.begin() as session:
            session.add(
                AuditEntry(
                    created_at=self.clock(), actor=actor, action=action, target=target, detail=detail or {}, ip=ip
                )
            )

    async def audit_entries(self, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        async with self.store.sessions() as session:
            return list((await session.execute(query)).scalars())
