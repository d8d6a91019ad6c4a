"""Signed, durable trade webhooks per user."""
