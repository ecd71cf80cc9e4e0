"""cfn-lint rules for templates that declare clockwork schedules.

Install the ``lint`` extra next to cfn-lint and name this package to ``--append-rules``::

    pip install 'clockwork-cfn-resource[lint]'
    cfn-lint --append-rules clockwork_cfn_resource.lint -t template.yaml

(cfn-lint takes either a directory of rule files or an import path: it imports the
module and makes a rule of each ``CloudFormationLintRule`` class in it, so the classes
are imported here.) ``-t`` must name the template: ``--append-rules`` takes several
values, and would take a template written after it for another rules path. In a
``.cfnlintrc``::

    append_rules:
      - clockwork_cfn_resource.lint

cfn-lint also takes this package's directory (``--append-rules "$(python -c 'import
clockwork_cfn_resource.lint as m, os; print(os.path.dirname(m.__file__))')"``), with the
same result; the rules still import clockwork, so either way they need the environment
cfn-lint runs in.

- E9101: a property clockwork does not know (did you mean ...?)
- E9102: a required property is missing
- E9103: a value clockwork would reject (cron, time zone, ranges, ECS settings)
- W9104: a value a strict Update refuses (or reads otherwise) and compatibility mode, on
  by default for schedules migrated from aws-ecs-clockwork, keeps

Only this subpackage imports cfn-lint.
"""

from clockwork_cfn_resource.lint.rules import (
    InvalidValue,
    MissingProperty,
    StrictOrCompatible,
    UnknownProperty,
)

__all__ = ["InvalidValue", "MissingProperty", "StrictOrCompatible", "UnknownProperty"]
