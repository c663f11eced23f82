"""What every Kepu service needs: config, database, migrations, event contracts, outbox, errors."""
