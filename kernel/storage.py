"""Where uploaded documents are kept."""

from django.core.files.storage import Storage, storages


def documents_storage() -> Storage:
    """The private store for uploads (STORAGES["documents"]): a folder outside any served path, or a private
    object-storage bucket in production. Never a public URL."""
    return storages["documents"]
