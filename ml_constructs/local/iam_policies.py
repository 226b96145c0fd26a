"""moto's identity-policy evaluator, made to apply the semantics :mod:`.iam` documents.

:mod:`.iam` authorizes every request signed by an assumed role against the role's identity
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
  Deny; such conditions are now not evaluated;
- moto names the authorized action after the API operation, which for Lambda's ``Invoke`` is
  not the IAM action (``lambda:InvokeFunction``): a role granted it was denied;
- CloudFormation's ``AWS::IAM::Role`` ignored ``ManagedPolicyArns``: the CDK deploy role lacked
  ``AWSCloudFormationReadOnlyAccess`` (``cloudformation:DescribeStacks`` denied to the CLI). They
  are attached now, an AWS managed policy loaded from moto's bundled copy when first named
  (loading them all costs every IAM backend a large JSON parse).
- moto recomputes the SigV4 signature of a request from its body, or, when the body is empty,
  from the parsed request data, which for a bodiless GET/HEAD/DELETE of a REST service is the
  header dict: every such call by an assumed role (EMR Serverless ``GetJobRun``, Lambda
  ``GetFunction``, ...) failed with ``SignatureDoesNotMatch``. A bodiless request is now signed
  over an empty payload, as botocore signed it.

:func:`install` is called by :func:`ml_constructs.local.iam.install`.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False

# API operation -> IAM action, where they differ (for the services the library's roles call).
IAM_ACTIONS = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "lambda:InvokeAsync": "lambda:InvokeFunction",
    "lambda:InvokeWithResponseStream": "lambda:InvokeFunction",
}


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

    _install_managed_policy_arns()
    request_init = access_control.IAMRequestBase.__init__

    def init_request(self: Any, *args: Any, **kwargs: Any) -> None:
        request_init(self, *args, **kwargs)
        self._action = IAM_ACTIONS.get(self._action, self._action)

    access_control.IAMRequestBase.__init__ = init_request  # type: ignore[method-assign]
    _install_bodiless_signatures(access_control.IAMRequestBase)
    access_control.IAMPolicy.__init__ = read_policy  # type: ignore[method-assign]
    statement._check_element_matches = check_element_matches  # type: ignore[method-assign]
    statement._check_conditions = check_known_conditions  # type: ignore[method-assign]
    _installed = True


_BODILESS = ("GET", "HEAD", "DELETE")


def _install_bodiless_signatures(request_base: Any) -> None:
    create = request_base._create_aws_request

    def create_aws_request(self: Any) -> Any:
        if not self._body and str(self._method).upper() in _BODILESS:
            # Only for the signature: the S3 access-denied path reads ``_data`` as a dict later.
            saved, self._data = self._data, b""
            try:
                return create(self)
            finally:
                self._data = saved
        return create(self)

    request_base._create_aws_request = create_aws_request


def _install_managed_policy_arns() -> None:
    from moto.iam.models import Role

    create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        role = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for arn in (cloudformation_json.get("Properties") or {}).get("ManagedPolicyArns") or []:
            attach_managed_policy(account_id, region_name, role.name, str(arn))
        return role

    setattr(Role, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json))  # noqa: B010

    delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def delete_from_cloudformation_json(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        # CloudFormation detaches the policies it attached; moto's IAM refuses to delete a role
        # with managed policies attached (DeleteConflict).
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        backend = iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        delete(cls, resource_name, cloudformation_json, account_id, region_name)

    setattr(Role, "delete_from_cloudformation_json", classmethod(delete_from_cloudformation_json))  # noqa: B010


def attach_managed_policy(account_id: str, region_name: str, role_name: str, arn: str) -> None:
    """Attach ``arn`` to the role; an AWS managed policy is loaded first if moto lacks it."""
    from moto.iam.models import AWSManagedPolicy, iam_backends
    from moto.utilities.utils import get_partition

    backend = iam_backends[account_id][get_partition(region_name)]
    if arn not in backend.managed_policies and ":iam::aws:policy/" in arn:
        name = arn.rsplit("/", 1)[-1]
        data = _aws_managed_policies().get(name)
        if data is None:
            return  # unknown to moto's copy: nothing to attach
        policy = AWSManagedPolicy.from_data(name, account_id, region_name, data)
        backend.managed_policies[policy.arn] = policy
    if arn in backend.managed_policies:
        backend.attach_role_policy(arn, role_name)


_MANAGED: dict[str, Any] = {}


def _aws_managed_policies() -> dict[str, Any]:
    if not _MANAGED:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        _MANAGED.update(json.loads(aws_managed_policies_data))
    return _MANAGED
