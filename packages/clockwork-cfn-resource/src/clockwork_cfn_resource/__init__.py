"""The Lambda handler behind clockwork's CloudFormation custom resource."""
