"""The api service: a read-only FastAPI search API over the `articles` alias."""
