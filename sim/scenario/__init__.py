"""The scenario room: the file format (schema, units), loading and validation, and the
compiled model the engines read."""
