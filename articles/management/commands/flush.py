from django.core.management.commands import flush
from django.db import connections, transaction

from articles import chain


class Command(flush.Command):
    help = (
        "Erase every row of every table, as Django's flush does. Erasing the whole database is its "
        "owner's act: the archive's guard over the provenance record and over articles that were ever "
        "public (articles.chain) is lifted for the flush and created again in the same transaction."
    )

    def handle(self, **options):
        connection = connections[options["database"]]
        with transaction.atomic(using=connection.alias), chain.lifted(connection):
            super().handle(**options)
