"""IAM helpers shared by the constructs."""

from __future__ import annotations

from aws_cdk import CfnResource
from aws_cdk import aws_iam as iam
from constructs import IConstruct


def depend_on_role_policy(resource: IConstruct, role: iam.IRole) -> None:
    """Make ``resource`` depend on ``role``'s default policy only.

    CDK makes a function or state machine depend on its role and on the role's policy. The role
    is already referenced by a GetAtt (an explicit DependsOn on it is cfn-lint W3005); the policy
    is the real ordering need: the resource can log and call from its first run.
    """
    policy = role.node.try_find_child("DefaultPolicy")
    cfn_resource = resource.node.default_child
    if policy is None or not isinstance(cfn_resource, CfnResource):
        return
    cfn_policy = policy.node.default_child
    assert isinstance(cfn_policy, iam.CfnPolicy)
    cfn_resource.add_override("DependsOn", [cfn_policy.logical_id])
