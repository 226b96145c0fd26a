"""API Gateway REST APIs, resources, methods, deployments, stages, account, request validators."""

from __future__ import annotations

import json

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class ApiGatewayRestApi(_Taught, CloudFormationModel):
    """Replaces moto's model (it dropped the resource policy, binary media types and tags, and had
    no delete)."""

    TYPE = "AWS::ApiGateway::RestApi"
    SERVICE = "apigateway"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("RestApiId", "RootResourceId")
    UPDATABLE = True
    REPLACE_ON = ("Body", "BodyS3Location", "CloneFrom")

    def create(self) -> None:
        p = self.props
        properties = {
            k: v
            for k, v in p.items()
            if k not in ("Name", "ApiKeySourceType", "EndpointConfiguration", "Policy")
        }
        endpoint = p.get("EndpointConfiguration")
        params = self.params(
            "CreateRestApi",
            properties,
            name=self.name,
            apiKeySource=p.get("ApiKeySourceType"),
            endpointConfiguration=endpoint,
            policy=json.dumps(p["Policy"]) if isinstance(p.get("Policy"), dict) else p.get("Policy"),
        )
        api_id = self.call("create_rest_api", **params)["id"]
        root = next(
            r["id"] for r in self.call("get_resources", restApiId=api_id)["items"] if r["path"] == "/"
        )
        self.physical_id = api_id
        self.attributes.update(RestApiId=api_id, RootResourceId=root)

    def update(self, changed: set[str]) -> None:
        operations = []
        if "Description" in changed:
            operations.append(
                {"op": "replace", "path": "/description", "value": self.props.get("Description", "")}
            )
        if "Policy" in changed:
            policy = self.props.get("Policy")
            operations.append(
                {
                    "op": "replace",
                    "path": "/policy",
                    "value": json.dumps(policy) if isinstance(policy, dict) else policy or "",
                }
            )
        if operations:
            self.call("update_rest_api", restApiId=self.physical_id, patchOperations=operations)

    def remove(self) -> None:
        self.call("delete_rest_api", restApiId=self.physical_id)


class ApiGatewayResource(_Taught, CloudFormationModel):
    """Replaces moto's model (no delete: a resource removed from the template stayed)."""

    TYPE = "AWS::ApiGateway::Resource"
    SERVICE = "apigateway"
    ATTRIBUTES = ("ResourceId",)

    def create(self) -> None:
        p = self.props
        found = self.call(
            "create_resource", restApiId=p["RestApiId"], parentId=p["ParentId"], pathPart=p["PathPart"]
        )
        self.physical_id = found["id"]
        self.attributes["ResourceId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_resource", restApiId=self.props["RestApiId"], resourceId=self.physical_id)


class ApiGatewayDeployment(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id: a Stage's ``DeploymentId`` got a Python object)."""

    TYPE = "AWS::ApiGateway::Deployment"
    SERVICE = "apigateway"
    ATTRIBUTES = ("DeploymentId",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "StageDescription"}
        response = self.call("create_deployment", **self.params("CreateDeployment", properties))
        self.physical_id = response["id"]
        self.attributes["DeploymentId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_deployment", restApiId=self.props["RestApiId"], deploymentId=self.physical_id)


class ApiGatewayMethod(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete, method responses and validators lost)."""

    TYPE = "AWS::ApiGateway::Method"
    SERVICE = "apigateway"

    def _key(self) -> dict[str, str]:
        p = self.props
        return {"restApiId": p["RestApiId"], "resourceId": p["ResourceId"], "httpMethod": p["HttpMethod"]}

    def create(self) -> None:
        key = self._key()
        method = {k: v for k, v in self.props.items() if k not in ("Integration", "MethodResponses")}
        method.setdefault("AuthorizationType", "NONE")
        self.call("put_method", **self.params("PutMethod", method, **key))
        integration = self.props.get("Integration")
        if integration:
            body = {k: v for k, v in integration.items() if k != "IntegrationResponses"}
            self.call("put_integration", **self.params("PutIntegration", body, **key))
            for response in integration.get("IntegrationResponses") or []:
                self.call(
                    "put_integration_response", **self.params("PutIntegrationResponse", response, **key)
                )
        for response in self.props.get("MethodResponses") or []:
            self.call("put_method_response", **self.params("PutMethodResponse", response, **key))
        self.physical_id = "|".join(key.values())

    def remove(self) -> None:
        self.call("delete_method", **self._key())


class ApiGatewayStage(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::Stage"
    SERVICE = "apigateway"
    NAME_PROPERTY = "StageName"
    NAME_MAX = 128

    def create(self) -> None:
        p = self.props
        params = self.params("CreateStage", p, restApiId=p["RestApiId"], stageName=self.name)
        self.call("create_stage", **params)
        operations = []
        access_log = p.get("AccessLogSetting") or {}
        if access_log.get("DestinationArn"):
            operations.append(
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": access_log["DestinationArn"],
                }
            )
        if access_log.get("Format"):
            operations.append(
                {"op": "replace", "path": "/accessLogSettings/format", "value": access_log["Format"]}
            )
        for setting in p.get("MethodSettings") or []:
            path_part = setting.get("ResourcePath", "/*").lstrip("/").replace("/", "~1") or "*"
            prefix = f"/{path_part}/{setting.get('HttpMethod', '*')}"
            for name, path in (
                ("LoggingLevel", "logging/loglevel"),
                ("DataTraceEnabled", "logging/dataTrace"),
                ("MetricsEnabled", "metrics/enabled"),
                ("ThrottlingBurstLimit", "throttling/burstLimit"),
                ("ThrottlingRateLimit", "throttling/rateLimit"),
                ("CachingEnabled", "caching/enabled"),
            ):
                if name in setting:
                    value = setting[name]
                    value = str(value).lower() if isinstance(value, bool) else str(value)
                    operations.append({"op": "replace", "path": f"{prefix}/{path}", "value": value})
        if operations:
            self.call(
                "update_stage", restApiId=p["RestApiId"], stageName=self.name, patchOperations=operations
            )
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_stage", restApiId=self.props["RestApiId"], stageName=self.name)


class ApiGatewayAccount(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::Account"
    SERVICE = "apigateway"
    ATTRIBUTES = ("Id",)
    UPDATABLE = True

    def create(self) -> None:
        self.update(set())
        self.physical_id = self.name
        self.attributes["Id"] = self.name

    def update(self, changed: set[str]) -> None:
        role = self.props.get("CloudWatchRoleArn")
        if role:
            operations = [{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
            self.call("update_account", patchOperations=operations)

    def remove(self) -> None:
        """The account's API Gateway settings outlive the stack (as on AWS)."""


class ApiGatewayRequestValidator(_Taught, CloudFormationModel):
    TYPE = "AWS::ApiGateway::RequestValidator"
    SERVICE = "apigateway"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("RequestValidatorId",)

    def create(self) -> None:
        params = self.params(
            "CreateRequestValidator", self.props, restApiId=self.props["RestApiId"], name=self.name
        )
        self.physical_id = self.call("create_request_validator", **params)["id"]
        self.attributes["RequestValidatorId"] = self.physical_id

    def remove(self) -> None:
        self.call(
            "delete_request_validator", restApiId=self.props["RestApiId"], requestValidatorId=self.physical_id
        )
