"""`python -m tradeplane.gateway` runs the gateway; `... user-create --email E [--admin]` adds a user;
`... audit-verify` checks the audit log."""

import sys

if len(sys.argv) > 1 and sys.argv[1] == "user-create":
    from .cli import user_create

    sys.exit(user_create(sys.argv[2:]))
elif len(sys.argv) > 1 and sys.argv[1] == "audit-verify":
    from .cli import audit_verify

    sys.exit(audit_verify(sys.argv[2:]))
else:
    from .app import main

    main()
