"""Training-data generation for the sensitivity model (needs the privacy-data extra: Faker)."""
