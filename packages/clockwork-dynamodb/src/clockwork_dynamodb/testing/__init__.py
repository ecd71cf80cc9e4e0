"""Test helpers for code that uses a clockwork DynamoDB table: see :mod:`.emulators`."""
