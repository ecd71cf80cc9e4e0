"""The clockwork stack created from infra/template.yaml in moto's CloudFormation."""
