"""moto's identity-policy evaluator, made to apply the semantics :mod:`..iam` documents.

:mod:`..iam` authorizes every request signed by an assumed role against the role's identity
policies: actions everywhere, resources only where moto determines the request's resource (S3),
conditions only where moto knows the context keys. moto's evaluator did otherwise in three ways
that denied what AWS allows (the reference app's deploy failed with the CDK CLI's own roles):

- an inline role policy created by CloudFormation (``AWS::IAM::Role`` ``Policies``: the CDK
  bootstrap roles) is stored as a dict, which the evaluator did not read
  (``KeyError: 'policy_document'``, HTTP 500 on every call of that role);
- where moto passes no resource (``*``, every service but S3), a statement naming specific
  resources never matched, so least-privilege statements (``ssm:GetParameter`` on the bootstrap
  version parameter, ``sagemaker:CreateTrainingJob`` on ``training-job/prefix*``) allowed
  nothing; the resource is now not evaluated there;
- a condition on a context key moto does not supply (``aws:ResourceAccount``,
  ``iam:PassedToService``) failed, and a failed condition of an *Allow* statement returned
  Deny; such conditions are now not evaluated.

Belongs with :mod:`..iam`; here because the state machines' role-signed calls need it.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.iam import access_control

    policy_init = access_control.IAMPolicy.__init__

    def read_policy(self: Any, policy: Any) -> None:
        if isinstance(policy, dict) and "policy_document" not in policy and "Statement" in policy:
            policy = json.dumps(policy)
        policy_init(self, policy)

    statement = access_control.IAMPolicyStatement
    element_matches = statement._check_element_matches

    def check_element_matches(self: Any, statement_element: Any, value: str) -> bool:
        if statement_element == "Resource" and value == "*":
            return True  # the request's resource is unknown to moto: not evaluated
        return bool(element_matches(self, statement_element, value))

    check_conditions = statement._check_conditions

    def check_known_conditions(self: Any, incoming_condition_values: Any) -> bool:
        expected = self._statement.get("Condition")
        if not expected:
            return True
        known = set(incoming_condition_values or {})
        evaluable = {
            operator: {key: value for key, value in keys.items() if key in known}
            for operator, keys in expected.items()
            if isinstance(keys, dict)
        }
        evaluable = {operator: keys for operator, keys in evaluable.items() if keys}
        if not evaluable:
            return True  # only context keys moto does not supply: not evaluated
        saved = self._statement["Condition"]
        self._statement["Condition"] = evaluable
        try:
            return bool(check_conditions(self, incoming_condition_values))
        finally:
            self._statement["Condition"] = saved

    access_control.IAMPolicy.__init__ = read_policy  # type: ignore[method-assign]
    statement._check_element_matches = check_element_matches  # type: ignore[method-assign]
    statement._check_conditions = check_known_conditions  # type: ignore[method-assign]
    _installed = True
