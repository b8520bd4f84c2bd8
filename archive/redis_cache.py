"""
Django's Redis cache, with one redis-py client per connection pool, not one per call.

Django's RedisCacheClient.get_client() builds a redis.Redis for every cache operation, and each
copies redis-py's table of response callbacks, upper-casing every name on the way, which weighs
on a cached page as much as serving it. A client takes a connection from its pool for
each command and gives it back, so one client per pool serves every thread and every call; the
pool itself already notices a fork and opens new connections in the child.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools are kept for the cache's lifetime, so their ids stay theirs
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
