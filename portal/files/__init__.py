"""Encrypted attachments: streamed, type- and size-checked, served only through the policy.

    from portal.files import FileRefused, attachment_response, store_upload

See portal/files/service.py for the usage example and docs/crypto.md for the format.
"""

from portal.files.service import (  # noqa: F401
    FileRefused,
    allowed_description,
    attachment_response,
    clean_name,
    delete_stored,
    download_name,
    max_bytes,
    read_chunks,
    record_download,
    store_upload,
    too_large_message,
)
