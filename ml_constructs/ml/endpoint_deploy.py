"""The workflow path of a ModelEndpoint: the Step Functions states that deploy a trained model
and the grants they need (``ModelEndpoint.deploy_tasks`` / ``grant_deploy`` delegate here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..core import check_range, invalid
from ..core.nag import acknowledge_wildcards
from ._jobs import sagemaker_arn, sdk_resource, sync_resource, task_state
from ._requests import finish_request

if TYPE_CHECKING:
    from .model_endpoint import ModelEndpoint

# Error names of the deploy states' Fail states (a workflow catches them).
DEPLOYMENT_FAILED = "EndpointDeploymentFailed"
ROLLED_BACK = "EndpointDeploymentRolledBack"
AUTOSCALING_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
AUTOSCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


def deploy_tasks(
    endpoint: ModelEndpoint,
    scope: Construct,
    id: str,
    *,
    model_data_path: str,
    result_path: str = "$.deployment",
    poll_interval: Duration = Duration.minutes(1),
) -> sfn.Chain:
    """See :meth:`ModelEndpoint.deploy_tasks` (it checks the endpoint is workflow-deployed)."""
    if not (model_data_path.startswith("$") or model_data_path.startswith("States.")):
        raise invalid(
            endpoint, "model_data_path", model_data_path, "a JSONPath ('$.training.ModelArtifacts')"
        )
    check_range(
        endpoint, "poll_interval", poll_interval.to_seconds(), minimum=1, maximum=3600, unit="seconds"
    )
    name = endpoint.deployment_name
    model = endpoint._model_request(model_name="", model_data_url="")
    del model["ModelName"]
    model["PrimaryContainer"].pop("ModelDataUrl")
    model["ModelName.$"] = name
    model["PrimaryContainer"]["ModelDataUrl.$"] = model_data_path
    model = finish_request(endpoint, "model_overrides", "CreateModel", model, endpoint.model_overrides)
    config = endpoint._endpoint_config_request(config_name="", model_name="")
    del config["EndpointConfigName"]
    config["EndpointConfigName.$"] = name
    variant = config["ProductionVariants"][0]
    del variant["ModelName"]
    variant["ModelName.$"] = name
    config = finish_request(
        endpoint,
        "endpoint_config_overrides",
        "CreateEndpointConfig",
        config,
        endpoint.endpoint_config_overrides,
    )
    create_model = task_state(
        scope,
        f"{id} Create model",
        comment=f"Create a model for {endpoint.node.path}",
        resource=sync_resource("createModel", ""),
        parameters=model,
        result_path=sfn.JsonPath.DISCARD,
    )
    create_config = task_state(
        scope,
        f"{id} Create endpoint config",
        comment=f"Create an endpoint config for {endpoint.node.path}",
        resource=sync_resource("createEndpointConfig", ""),
        parameters=config,
        result_path=sfn.JsonPath.DISCARD,
    )
    describe = describe_state(endpoint, scope, f"{id} Find endpoint", result_path)
    # CustomStates rather than CDK's SageMaker endpoint tasks: the requests carry the stack's
    # tags (create), the rollout's DeploymentConfig (update) and endpoint_overrides, all
    # checked against botocore at synth (grant_deploy grants what they need).
    create_request = endpoint.endpoint_request(config_name="<named at run time>")
    del create_request["EndpointConfigName"]
    create_request["EndpointConfigName.$"] = name
    create = task_state(
        scope,
        f"{id} Create endpoint",
        comment=f"Create the endpoint {endpoint.endpoint_name}",
        resource=sync_resource("createEndpoint", ""),
        parameters=create_request,
        result_path=sfn.JsonPath.DISCARD,
    )
    update_request = endpoint.update_endpoint_request(config_name="<named at run time>")
    del update_request["EndpointConfigName"]
    update_request["EndpointConfigName.$"] = name
    rollout = endpoint.rollout
    update = task_state(
        scope,
        f"{id} Update endpoint",
        comment=f"Update the endpoint {endpoint.endpoint_name}"
        + ("" if rollout is None else f" ({rollout.traffic.lower()} rollout, rollback on its alarms)"),
        resource=sync_resource("updateEndpoint", ""),
        parameters=update_request,
        result_path=sfn.JsonPath.DISCARD,
    )
    describe.add_catch(create, errors=["States.TaskFailed"], result_path=sfn.JsonPath.DISCARD)
    wait = sfn.Wait(scope, f"{id} Wait for endpoint", time=sfn.WaitTime.duration(poll_interval))
    poll = describe_state(endpoint, scope, f"{id} Check endpoint", result_path)
    failed = sfn.Fail(
        scope,
        f"{id} Endpoint failed",
        error=DEPLOYMENT_FAILED,
        cause=f"The endpoint {endpoint.endpoint_name} did not reach InService (see its FailureReason)",
    )
    done = sfn.Pass(scope, f"{id} Endpoint in service")
    in_service: sfn.IChainable = done
    if endpoint.autoscaling is not None:
        in_service = autoscaling_states(endpoint, scope, id).next(done)
    status = f"{result_path}.EndpointStatus"
    check = (
        sfn.Choice(scope, f"{id} Endpoint ready?")
        .when(
            sfn.Condition.and_(
                sfn.Condition.string_equals(status, "InService"),
                sfn.Condition.string_equals_json_path(
                    f"{result_path}.EndpointConfigName", f"{result_path}.DeployingConfigName"
                ),
            ),
            in_service,
        )
        # In service on another config: SageMaker rolled the update back (an alarm fired).
        .when(sfn.Condition.string_equals(status, "InService"), rolled_back(endpoint, scope, id, result_path))
        .when(
            sfn.Condition.or_(
                *(
                    sfn.Condition.string_equals(status, s)
                    for s in ("Failed", "OutOfService", "UpdateRollbackFailed")
                )
            ),
            failed,
        )
        .otherwise(wait)  # Creating, Updating, SystemUpdating, RollingBack
    )
    create.next(wait)
    update.next(wait)
    wait.next(poll).next(check)
    describe.next(update)
    create_model.next(create_config).next(describe)
    return sfn.Chain.custom(create_model, [done], done)


def rolled_back(endpoint: ModelEndpoint, scope: Construct, id: str, result_path: str) -> sfn.IChainable:
    """Describe the endpoint again (in full: FailureReason may be absent) and fail with
    :data:`ROLLED_BACK`, naming the endpoint, the config it serves and SageMaker's reason."""
    describe = task_state(
        scope,
        f"{id} Describe rollback",
        comment=f"Why did the endpoint of {endpoint.node.path} roll back?",
        resource=sdk_resource("describeEndpoint"),
        parameters={"EndpointName": endpoint.endpoint_name},
        result_path=result_path,
    )
    text = (
        f"The endpoint {endpoint.endpoint_name} rolled back to the endpoint config {{}} "
        "(a rollback alarm fired during the deployment)"
    )
    reason = sfn.Fail(
        scope,
        f"{id} Endpoint rolled back",
        error=ROLLED_BACK,
        cause_path=(
            f"States.Format('{text}: {{}}', {result_path}.EndpointConfigName, {result_path}.FailureReason)"
        ),
    )
    no_reason = sfn.Fail(
        scope,
        f"{id} Endpoint rolled back without reason",
        error=ROLLED_BACK,
        cause_path=f"States.Format('{text}', {result_path}.EndpointConfigName)",
    )
    has_reason = (
        sfn.Choice(scope, f"{id} Rollback reason?")
        .when(sfn.Condition.is_present(f"{result_path}.FailureReason"), reason)
        .otherwise(no_reason)
    )
    return describe.next(has_reason)


def describe_state(endpoint: ModelEndpoint, scope: Construct, id: str, result_path: str) -> sfn.CustomState:
    return task_state(
        scope,
        id,
        comment=f"Describe the endpoint of {endpoint.node.path}",
        resource=sdk_resource("describeEndpoint"),
        parameters={"EndpointName": endpoint.endpoint_name},
        result_selector={
            "EndpointName.$": "$.EndpointName",
            "EndpointStatus.$": "$.EndpointStatus",
            "EndpointConfigName.$": "$.EndpointConfigName",
            # the config this execution deploys: another one in service means a rollback
            "DeployingConfigName.$": endpoint.deployment_name,
        },
        result_path=result_path,
    )


def autoscaling_states(endpoint: ModelEndpoint, scope: Construct, id: str) -> sfn.Chain:
    config = endpoint.autoscaling
    assert config is not None
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": endpoint.scaling_resource_id,
        "ScalableDimension": AUTOSCALING_DIMENSION,
    }
    register = task_state(
        scope,
        f"{id} Register autoscaling",
        comment=f"Scale {endpoint.node.path} between {config.min_capacity} and {config.max_capacity}",
        resource=autoscaling_resource(endpoint, "registerScalableTarget"),
        parameters={
            **target,
            "MinCapacity": config.min_capacity,
            "MaxCapacity": config.max_capacity,
        },
        result_path=sfn.JsonPath.DISCARD,
    )
    policy = task_state(
        scope,
        f"{id} Track invocations per instance",
        comment="Target tracking on SageMakerVariantInvocationsPerInstance",
        resource=autoscaling_resource(endpoint, "putScalingPolicy"),
        parameters={
            **target,
            "PolicyName": "InvocationsPerInstance",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": config.target_invocations_per_instance,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "ScaleInCooldown": int(config.scale_in_cooldown.to_seconds()),
                "ScaleOutCooldown": int(config.scale_out_cooldown.to_seconds()),
            },
        },
        result_path=sfn.JsonPath.DISCARD,
    )
    return sfn.Chain.start(register).next(policy)


def grant_deploy(endpoint: ModelEndpoint, grantee: iam.IGrantable) -> None:
    """See :meth:`ModelEndpoint.grant_deploy`."""
    principal = grantee.grant_principal
    models = sagemaker_arn(endpoint, "model", f"{endpoint.name_prefix}-*")
    configs = sagemaker_arn(endpoint, "endpoint-config", f"{endpoint.name_prefix}-*")
    statements = [
        iam.PolicyStatement(actions=["sagemaker:CreateModel"], resources=[models]),
        iam.PolicyStatement(actions=["sagemaker:CreateEndpointConfig"], resources=[configs]),
        iam.PolicyStatement(
            actions=["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
            resources=[endpoint.endpoint_arn, configs],
        ),
        # The create requests carry the stack's tags.
        iam.PolicyStatement(
            actions=["sagemaker:AddTags"], resources=[models, configs, endpoint.endpoint_arn]
        ),
        iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=[endpoint.endpoint_arn]),
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[endpoint.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ),
        iam.PolicyStatement(actions=["kms:DescribeKey"], resources=[endpoint.encryption_key.key_arn]),
        iam.PolicyStatement(
            actions=["kms:CreateGrant"],
            resources=[endpoint.encryption_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    ]
    if endpoint.rollout is not None:
        # UpdateEndpoint with AutoRollbackConfiguration: SageMaker reads the alarms as the caller.
        statements.append(
            iam.PolicyStatement(
                actions=["cloudwatch:DescribeAlarms"], resources=[a.alarm_arn for a in endpoint.alarms]
            )
        )
    wildcards = [models, configs]
    if endpoint.autoscaling is not None:
        stack = Stack.of(endpoint)
        alarms = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name=f"TargetTracking-{endpoint.scaling_resource_id}-*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        scalable_targets = stack.format_arn(
            service="application-autoscaling",
            resource="scalable-target",
            resource_name="*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        statements += [
            # Register/Put only SageMaker variants' instance counts (the condition keys AWS
            # documents for Application Auto Scaling); Describe* has no resource level.
            iam.PolicyStatement(
                actions=[
                    "application-autoscaling:RegisterScalableTarget",
                    "application-autoscaling:PutScalingPolicy",
                ],
                resources=[scalable_targets],
                conditions={
                    "StringEquals": {
                        "application-autoscaling:service-namespace": "sagemaker",
                        "application-autoscaling:scalable-dimension": AUTOSCALING_DIMENSION,
                    }
                },
            ),
            iam.PolicyStatement(
                actions=[
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingPolicies",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                actions=["sagemaker:DescribeEndpointConfig"],
                resources=[configs],
            ),
            iam.PolicyStatement(
                actions=["sagemaker:UpdateEndpointWeightsAndCapacities"], resources=[endpoint.endpoint_arn]
            ),
            iam.PolicyStatement(
                actions=[
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:DeleteAlarms",
                ],
                resources=[alarms],
            ),
            iam.PolicyStatement(
                actions=["iam:CreateServiceLinkedRole"],
                resources=[
                    stack.format_arn(
                        service="iam", region="", resource="role", resource_name=AUTOSCALING_ROLE
                    )
                ],
                conditions={
                    "StringLike": {"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}
                },
            ),
        ]
        wildcards += ["*", alarms, scalable_targets]
    for statement in statements:
        principal.add_to_principal_policy(statement)
    if isinstance(principal, Construct):
        acknowledge_wildcards(
            principal,
            f"Models and endpoint configs of {endpoint.node.path} are created at run time under the "
            f"name prefix '{endpoint.name_prefix}-'; Application Auto Scaling's Describe* calls "
            "have no resource level and its targets no ARN before they exist (target-tracking "
            "alarms are limited to this endpoint's names).",
            resources=wildcards,
        )


def autoscaling_resource(scope: Construct, action: str) -> str:
    return f"arn:{Stack.of(scope).partition}:states:::aws-sdk:applicationautoscaling:{action}"
