"""The repository's documents, checked against the code: every command they name, every link."""
