"""Encrypted attachments: streamed, type- and size-checked, served only through the policy.

    from portal.files import FileRefused, attachment_response, store_upload

See portal/files/service.py for the usage example and docs/crypto.md for the format.
"""

from portal.files.service import (  # noqa: F401
    FileRefused,
    attachment_response,
    delete_stored,
    download_name,
    max_bytes,
    read_chunks,
    store_upload,
)
