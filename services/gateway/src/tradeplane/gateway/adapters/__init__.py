"""Storage of the gateway: users, sessions, the order view and the audit log."""
