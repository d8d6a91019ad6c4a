"""The risk service's storage: tables and SQL."""
