"""Clockwork's DynamoDB store: ``dynamodb://TABLE?region=eu-west-1``."""
