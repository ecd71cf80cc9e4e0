"""The DynamoDB store's tests: a package, so that its conftest does not clash with other packages' (mypy)."""
