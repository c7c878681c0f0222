"""One router per resource; handlers are a few lines over the assistant and the store."""

from api.routes import chat, documents, feedback, health, openai, pages, rules, search

__all__ = ["ROUTERS"]

ROUTERS = [
    health.router,
    chat.router,
    feedback.router,
    search.router,
    documents.router,
    rules.router,
    openai.router,
    pages.router,
]
