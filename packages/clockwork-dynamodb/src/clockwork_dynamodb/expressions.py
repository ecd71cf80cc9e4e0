"""Update and condition expressions, with a placeholder for every name and value.

DynamoDB rejects reserved words (``cursor``, ``owner``, ``status``...) used as attribute
names in expressions, and moto accepts some of them: every name therefore goes through a
``#name`` placeholder, always, so that what passes on an emulator passes on AWS.
"""

from __future__ import annotations

from typing import Any


class Expression:
    """One request's names and values, and its SET and REMOVE clauses."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._sets: list[str] = []
        self._removes: list[str] = []

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> Expression:
        """``SET attribute = value`` (an attribute value such as ``{"N": "3"}``)."""
        self._sets.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_raw(self, attribute: str, expression: str) -> Expression:
        """``SET attribute = expression`` (built with :meth:`name` and :meth:`value`)."""
        self._sets.append(f"{self.name(attribute)} = {expression}")
        return self

    def set_or_remove(self, attribute: str, value: Any | None) -> Expression:
        return self.remove(attribute) if value is None else self.set(attribute, value)

    def remove(self, *attributes: str) -> Expression:
        self._removes.extend(self.name(attribute) for attribute in attributes)
        return self

    def update_params(self, condition: str | None = None) -> dict[str, Any]:
        """UpdateItem's ``UpdateExpression`` and placeholders, with ``condition`` if given."""
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        return {"UpdateExpression": " ".join(clauses), **self.params(condition)}

    def params(self, condition: str | None = None) -> dict[str, Any]:
        """The placeholders (and ``ConditionExpression``) of a request without an update."""
        params: dict[str, Any] = {}
        if condition is not None:
            params["ConditionExpression"] = condition
        if self.names:
            params["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            params["ExpressionAttributeValues"] = dict(self.values)
        return params
