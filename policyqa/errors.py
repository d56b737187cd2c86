"""The few exception types policyqa raises. Each message says what to do."""


class PolicyQAError(Exception):
    """Base class: anything the user can fix."""


class LoadError(PolicyQAError):
    """A file could not be read as a document."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexMissingError(PolicyQAError):
    """No index was built yet under the home directory."""


class ModelMismatchError(PolicyQAError):
    """The index was built with another embedding model."""


class IngestLockedError(PolicyQAError):
    """Another ingest holds the writer lock."""


class QuestionError(PolicyQAError):
    """A question that cannot be answered as given (empty, unreadable)."""


class IndexDamagedError(PolicyQAError):
    """A file of the index (or its Chroma collection) is missing, truncated or altered."""

    def __init__(
        self,
        path: object,
        reason: str,
        fix: str = "run `policyqa ingest --repair`",
        kind: str = "index file",
    ) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{kind} {self.path} is damaged: {reason}; {fix}")


class ChromaServerError(PolicyQAError):
    """The Chroma server (POLICYQA_CHROMA_URL) did not answer; it may answer again later."""


class DiskFullError(PolicyQAError):
    """An ingest could not write the index (disk full, no permission); nothing was switched."""


class FilterError(PolicyQAError, ValueError):
    """A search filter with an unknown key or value; the message lists the allowed ones."""
