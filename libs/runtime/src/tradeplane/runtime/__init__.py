"""Runtime pieces every service uses: settings, logging, database, outbox, broker."""
