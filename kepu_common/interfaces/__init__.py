"""What crosses a boundary: event contracts, validation, schema fields, error classes and the localized messages they render."""
