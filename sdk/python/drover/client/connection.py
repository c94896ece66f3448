"""Opening (and closing) the Redis connection a Client owns (src/client/connection.ts)."""

import os
import re
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import urlparse

import redis as redis_py
from redis.cluster import RedisCluster

from .bundle import CLIENT
from .errors import DroverError, to_drover_error
from .keys import show

#: Fail fast (CONNECTION_ERROR) instead of hanging while Redis is down; no socket timeout on
#: commands, so blocking reads (XREAD BLOCK, pub/sub) are never cut short.
CONNECT_OPTIONS = {"socket_connect_timeout": 5.0, "socket_keepalive": True,
                   "decode_responses": True, "encoding_errors": "replace"}


def default_redis_url(env: Optional[Mapping[str, str]] = None) -> str:
    """DROVER_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379 (read at call time)."""
    env = os.environ if env is None else env
    for name in CLIENT["urlEnv"]:
        if env.get(name):
            return env[name]
    return CLIENT["defaultRedisUrl"]


def is_cluster(conn: Any) -> bool:
    return isinstance(conn, RedisCluster)


_USERINFO = re.compile(r"//([^/\s]*)@")


def redact_url(text: str) -> str:
    """The URL with its password (or a lone user part) masked as ``***`` (src/client/redact-url.ts)."""
    def mask(m):
        user, colon, _ = m.group(1).partition(":")
        return "//%s:***@" % user if colon else "//***@"
    return _USERINFO.sub(mask, text)


def check_url(url: Any) -> str:
    if not isinstance(url, str):
        raise DroverError("INVALID_OPTION", "url: expected a redis:// or rediss:// URL, got %s" % show(url))
    try:
        scheme = urlparse(url).scheme
    except ValueError:
        scheme = ""
    if scheme not in ("redis", "rediss"):
        raise DroverError("INVALID_OPTION", "url: expected a redis:// or rediss:// URL, got %s" % show(redact_url(url)))
    return url


def open_connection(url: Optional[str], cluster: bool, existing: Any) -> Tuple[Any, bool]:
    """``(connection, owned)``: the given redis-py client (not owned) or a new one from the URL."""
    if not isinstance(cluster, bool):
        raise DroverError("INVALID_OPTION", "cluster: expected a boolean, got %s" % show(cluster))
    if existing is not None:
        if url is not None:
            raise DroverError("INVALID_OPTION", "url: give a URL or an existing redis client, not both (got %s)"
                              % show(url))
        if not (hasattr(existing, "evalsha") and hasattr(existing, "pubsub")):
            raise DroverError("INVALID_OPTION", "redis: expected a redis.Redis or redis.cluster.RedisCluster, got %r"
                              % (existing,))
        return existing, False
    url = check_url(default_redis_url() if url is None else url)
    try:
        if cluster:
            return RedisCluster.from_url(url, **CONNECT_OPTIONS), True
        return redis_py.Redis.from_url(url, **CONNECT_OPTIONS), True
    except redis_py.exceptions.RedisError as e:
        raise to_drover_error(e, "connect") from e


def close_connection(conn: Any) -> None:
    try:
        if is_cluster(conn):
            conn.close()
        else:
            conn.close()
            conn.connection_pool.disconnect()
    except redis_py.exceptions.RedisError:
        pass
