"""Passwords, access tokens and refresh-token rotation."""
