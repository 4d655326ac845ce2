"""What every room stands on: the database session, domain errors, input parsers."""
