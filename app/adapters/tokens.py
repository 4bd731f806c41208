"""Unguessable strings for session ids and resume tokens."""

import secrets


def new_token() -> str:
    """144 random bits, URL-safe: 24 characters."""
    return secrets.token_urlsafe(18)
