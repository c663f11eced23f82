"""Running the platform on one machine and in tests."""
