"""
Django's PostgreSQL backend, with a health check that costs no round trip while
the connection is quiet.

With CONN_HEALTH_CHECKS, Django asks a kept connection `SELECT 1` before each
request's first query: one more round trip on every request, which under load
costs more than a list page's own query. A server that drops an
idle connection (a restart, a terminated backend, an idle timeout) first sends
it a message saying so, and then closes it: either way the socket has something
to read. So an idle connection whose socket has nothing to read is taken as
usable without asking, and only one with something waiting, or in a transaction,
is asked as Django asks it. What no message announces (a cable pulled between
the two hosts) neither check catches in time: the query then fails, the request
answers 503 (archive.middleware), and the next request opens a new connection.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE or not hasattr(select, "poll"):
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN)
            waiting = poller.poll(0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if waiting else True
