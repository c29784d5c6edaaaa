"""Re-encrypt every stored ID number under the current (first) key of YUEAN_PII_KEYS.

Rotation: put the new key first in YUEAN_PII_KEYS, keep the old ones after it, deploy, run this command,
then remove the old keys. Rows are processed in primary-key batches so the command can be stopped and
run again at any point.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from residents.models import Resident
from residents.pii import id_number_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt stored ID numbers under the first key in YUEAN_PII_KEYS."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int, **options) -> None:  # type: ignore[no-untyped-def]
        last_id, total = 0, 0
        while True:
            with transaction.atomic():
                batch = list(
                    Resident.objects.select_for_update()
                    .filter(id__gt=last_id)
                    .exclude(id_number_ciphertext="")
                    .order_by("id")
                    .only("id", "id_number_ciphertext")[:batch_size]
                )
                if not batch:
                    break
                for resident in batch:
                    resident.id_number_ciphertext = id_number_reencrypt(resident.id_number_ciphertext)
                Resident.objects.bulk_update(batch, ["id_number_ciphertext"])
            last_id, total = batch[-1].id, total + len(batch)
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {total} ID numbers."))
