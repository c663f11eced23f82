"""Where state lives: the PostgreSQL pool and migrations, object storage."""
