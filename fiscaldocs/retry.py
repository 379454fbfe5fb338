"""The mark of a document given up on (it killed its worker or ran out of time): recorded in its
error, read back by the next run's change detection, which must stay light (no parser imported)."""

NOT_RETRIED = "not retried until the file or the extractor changes (FISCALDOCS_RETRY_FAILED=1 retries it)"
