"""Lambda permissions and event invoke configs."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class LambdaPermission(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete, statement without a ``Sid``)."""

    TYPE = "AWS::Lambda::Permission"
    SERVICE = "lambda"
    NAME_MAX = 100

    def create(self) -> None:
        params = self.params("AddPermission", self.props, StatementId=self.name)
        self.call("add_permission", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("remove_permission", FunctionName=self.props["FunctionName"], StatementId=self.physical_id)


class LambdaEventInvokeConfig(_Taught, CloudFormationModel):
    TYPE = "AWS::Lambda::EventInvokeConfig"
    SERVICE = "lambda"
    UPDATABLE = True
    REPLACE_ON = ("FunctionName", "Qualifier")

    def create(self) -> None:
        self.update(set())
        self.physical_id = f"{self.props['FunctionName']}:{self.props.get('Qualifier', '$LATEST')}"

    def update(self, changed: set[str]) -> None:
        params = self.params("PutFunctionEventInvokeConfig", self.props)
        self.call("put_function_event_invoke_config", **params)

    def remove(self) -> None:
        self.call("delete_function_event_invoke_config", FunctionName=self.props["FunctionName"])
