"""Rules and reference data that more than one service owns: regions, supervising units, organization admins, file types."""
