"""Embedded back-ends for the zero-infrastructure mode (`newswire run`): SQLite files only."""
