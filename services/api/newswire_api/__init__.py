"""The api service: a read-only FastAPI search API over the search index (Elasticsearch's
`articles` alias or the embedded SQLite index), and the search page."""
