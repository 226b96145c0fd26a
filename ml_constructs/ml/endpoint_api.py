"""The public HTTPS API of a ModelEndpoint: API Gateway (IAM auth, throttling, logs, tracing)
in front of InvokeEndpoint, and its AWS WAF web ACL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_wafv2 as wafv2

from ..core import acknowledge, secure_log_group
from ..core.nag import acknowledge_wildcards
from .endpoint_settings import HttpsApi

if TYPE_CHECKING:
    from .model_endpoint import ModelEndpoint

ACCOUNT_ID = "ApiGatewayAccount"  # the stack's one AWS::ApiGateway::Account (construct id)


def public_api(endpoint: ModelEndpoint, settings: HttpsApi, removal: RemovalPolicy) -> None:
    stack = Stack.of(endpoint)
    endpoint.access_log_group = secure_log_group(
        endpoint,
        "ApiAccessLogs",
        encryption_key=endpoint.encryption_key,
        retention=settings.log_retention,
        removal_policy=removal,
    )
    api = apigw.RestApi(
        endpoint,
        "Api",
        description=f"Public HTTPS API of the SageMaker endpoint {endpoint.endpoint_name}",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        cloud_watch_role=False,
        deploy_options=apigw.StageOptions(
            stage_name=settings.stage_name,
            throttling_rate_limit=settings.rate_limit,
            throttling_burst_limit=settings.burst_limit,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            metrics_enabled=True,
            tracing_enabled=True,
            access_log_destination=apigw.LogGroupLogDestination(endpoint.access_log_group),
            access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                caller=True,
                http_method=True,
                ip=True,
                protocol=True,
                request_time=True,
                resource_path=True,
                response_length=True,
                status=True,
                user=True,
            ),
        ),
    )
    endpoint.api = api
    # API Gateway would create the execution log group itself, unencrypted and kept forever.
    endpoint.execution_log_group = secure_log_group(
        endpoint,
        "ApiExecutionLogs",
        encryption_key=endpoint.encryption_key,
        retention=settings.log_retention,
        log_group_name=f"API-Gateway-Execution-Logs_{api.rest_api_id}/{settings.stage_name}",
        removal_policy=removal,
    )
    api.deployment_stage.node.add_dependency(endpoint.execution_log_group)
    if settings.account_logging_role:
        endpoint.api_account = account_logging_role(stack)
        api.deployment_stage.node.add_dependency(endpoint.api_account)

    endpoint.api_role = iam.Role(
        endpoint,
        "ApiRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description=f"Lets the API of {endpoint.node.path} invoke its SageMaker endpoint",
    )
    endpoint.grant_invoke(endpoint.api_role)
    integration = apigw.AwsIntegration(
        service="runtime.sagemaker",
        path=f"endpoints/{endpoint.endpoint_name}/invocations",
        integration_http_method="POST",
        options=apigw.IntegrationOptions(
            credentials_role=endpoint.api_role,
            passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_MATCH,
            request_parameters={
                "integration.request.header.Content-Type": "method.request.header.Content-Type",
                "integration.request.header.Accept": "method.request.header.Accept",
            },
            integration_responses=[
                apigw.IntegrationResponse(status_code="200"),
                apigw.IntegrationResponse(status_code="400", selection_pattern=r"4\d{2}"),
                apigw.IntegrationResponse(status_code="500", selection_pattern=r"5\d{2}"),
            ],
        ),
    )
    validator = apigw.RequestValidator(
        endpoint,
        "ApiRequestValidator",
        rest_api=api,
        validate_request_body=True,
        validate_request_parameters=True,
    )
    models = None
    if settings.request_schema is not None:
        model = api.add_model(
            "RequestModel",
            content_type="application/json",
            schema=apigw.JsonSchema(**json_schema_kwargs(settings.request_schema)),
        )
        models = {"application/json": model}
    method = api.root.add_resource("invocations").add_method(
        "POST",
        integration,
        authorization_type=apigw.AuthorizationType.IAM,
        request_validator=validator,
        request_models=models,
        request_parameters={
            "method.request.header.Content-Type": True,
            "method.request.header.Accept": False,
        },
        method_responses=[apigw.MethodResponse(status_code=code) for code in ("200", "400", "500")],
    )
    acknowledge(
        method,
        "AwsSolutions-COG4",
        f"POST /invocations of {endpoint.node.path} uses IAM (SigV4) authorization: callers sign with "
        "IAM credentials granted through grant_api_invoke; a Cognito user pool is not the "
        "identity source of this machine-to-machine API.",
    )
    if settings.web_acl:
        endpoint.web_acl = web_acl(endpoint, settings)
        wafv2.CfnWebACLAssociation(
            endpoint,
            "ApiWebAclAssociation",
            resource_arn=api.deployment_stage.stage_arn,
            web_acl_arn=endpoint.web_acl.attr_arn,
        )
    else:
        acknowledge(
            api.deployment_stage,
            "AwsSolutions-APIG3",
            f"The API of {endpoint.node.path} was created with HttpsApi(web_acl=False): IAM "
            "authorization and stage throttling protect it; associate your own web ACL.",
        )


def account_logging_role(stack: Stack) -> apigw.CfnAccount:
    """The stack's one ``AWS::ApiGateway::Account`` and its CloudWatch Logs role (shared)."""
    existing = stack.node.try_find_child(ACCOUNT_ID)
    if isinstance(existing, apigw.CfnAccount):
        return existing
    role = iam.Role(
        stack,
        f"{ACCOUNT_ID}LoggingRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="Lets API Gateway write access and execution logs in this account and region",
    )
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=[
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:FilterLogEvents",
            ],
            resources=[log_groups],
        )
    )
    acknowledge_wildcards(
        role,
        "API Gateway uses one CloudWatch Logs role per account and region for every REST API "
        "(AWS::ApiGateway::Account), writing to log groups named after each API and stage; "
        "the role is limited to this account's and region's log groups.",
        resources=[log_groups],
    )
    policy = role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(policy, iam.CfnPolicy)
    # Other APIs of the account log through this role: keep it when the stack goes.
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    policy.apply_removal_policy(RemovalPolicy.RETAIN)
    account = apigw.CfnAccount(stack, ACCOUNT_ID, cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(RemovalPolicy.RETAIN)
    # API Gateway checks the role's permissions when the account setting is made.
    account.node.add_dependency(policy)
    return account


def web_acl(endpoint: ModelEndpoint, settings: HttpsApi) -> wafv2.CfnWebACL:
    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    def managed(priority: int, name: str, overrides: Sequence[str] = ()) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in overrides
                    ]
                    or None,
                )
            ),
            visibility_config=visibility(name),
        )

    return wafv2.CfnWebACL(
        endpoint,
        "ApiWebAcl",
        scope="REGIONAL",
        description=f"Protects the public API of {endpoint.node.path}",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("ModelEndpointApi"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="RequestsPerIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP", limit=settings.requests_per_ip_per_5_minutes
                    )
                ),
                visibility_config=visibility("RequestsPerIp"),
            ),
            # Inference payloads are often larger than the common rule set's 8 KB body limit.
            managed(1, "AWSManagedRulesCommonRuleSet", overrides=["SizeRestrictions_BODY"]),
            managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
        ],
    )


def json_schema_kwargs(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema dict (draft 4 keywords) as ``apigw.JsonSchema`` keyword arguments."""
    names = {
        "$schema": "schema",
        "$ref": "ref",
        "type": "type",
        "title": "title",
        "description": "description",
        "properties": "properties",
        "required": "required",
        "items": "items",
        "enum": "enum",
        "minimum": "minimum",
        "maximum": "maximum",
        "minLength": "min_length",
        "maxLength": "max_length",
        "minItems": "min_items",
        "maxItems": "max_items",
        "pattern": "pattern",
        "additionalProperties": "additional_properties",
        "format": "format",
    }
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key not in names:
            raise ValueError(
                f"request_schema: unsupported JSON schema keyword {key!r}; allowed: {', '.join(names)}"
            )
        if key == "type":
            value = getattr(apigw.JsonSchemaType, value.upper()) if isinstance(value, str) else value
        elif key == "properties":
            value = {k: apigw.JsonSchema(**json_schema_kwargs(v)) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            value = apigw.JsonSchema(**json_schema_kwargs(value))
        elif key == "$schema":
            value = apigw.JsonSchemaVersion.DRAFT4
        result[names[key]] = value
    return result
