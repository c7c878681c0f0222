"""Domain errors of policy-qa, raised by the library and turned into messages only at the faces.

PolicyQAError
├── CorpusError            a document or metadata file in corpus/ cannot be read or parsed
├── IndexNotBuilt          no active index version exists (run `policy-qa index build`)
├── IndexBuildError        a build failed validation; the previous version keeps serving
├── RuleDataError          corpus/rules/*.yaml is malformed or quotes text not in the source
│                          (defined in assistant.rules, subclass of this module's base)
├── QuestionRejected       a question is empty, too long or not text (assistant.understand)
├── UnknownSession         a session id that does not exist or expired (api.storage)
└── UnknownAnswer          feedback for an answer id that does not exist (api.storage)

Every error carries a Chinese `message` for citizens and a stable machine `code`.
"""

from __future__ import annotations

__all__ = ["PolicyQAError", "CorpusError", "IndexNotBuilt", "IndexBuildError"]


class PolicyQAError(Exception):
    """Base of every error policy-qa raises on purpose."""

    code = "policy_qa_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CorpusError(PolicyQAError):
    """A file in the corpus cannot be used; the message names the file."""

    code = "corpus_error"


class IndexNotBuilt(PolicyQAError):
    code = "index_not_built"


class IndexBuildError(PolicyQAError):
    code = "index_build_failed"
