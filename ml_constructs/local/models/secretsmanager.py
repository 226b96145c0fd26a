"""Secrets Manager secrets (with ``GenerateSecretString``)."""

from __future__ import annotations

import json

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class SecretsManagerSecret(_Taught, CloudFormationModel):
    TYPE = "AWS::SecretsManager::Secret"
    SERVICE = "secretsmanager"
    NAME_PROPERTY = "Name"
    NAME_MAX = 512
    ATTRIBUTES = ("Id",)
    UPDATABLE = True

    def _secret_string(self) -> str | None:
        generate = self.props.get("GenerateSecretString")
        if not generate:
            return self.props.get("SecretString")
        options = {
            k: v for k, v in generate.items() if k not in ("SecretStringTemplate", "GenerateStringKey")
        }
        password = self.call("get_random_password", **self.params("GetRandomPassword", options))[
            "RandomPassword"
        ]
        if generate.get("SecretStringTemplate") and generate.get("GenerateStringKey"):
            document = json.loads(generate["SecretStringTemplate"])
            document[generate["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    def create(self) -> None:
        properties = {
            k: v for k, v in self.props.items() if k not in ("SecretString", "GenerateSecretString")
        }
        params = self.params("CreateSecret", properties, Name=self.name, SecretString=self._secret_string())
        arn = self.call("create_secret", **params)["ARN"]
        self.physical_id = arn
        self.attributes["Id"] = arn

    def update(self, changed: set[str]) -> None:
        secret = self._secret_string() if changed & {"SecretString", "GenerateSecretString"} else None
        properties = {k: self.props.get(k) for k in ("Description", "KmsKeyId")}
        self.call(
            "update_secret",
            **self.params("UpdateSecret", properties, SecretId=self.physical_id, SecretString=secret),
        )

    def remove(self) -> None:
        self.call("delete_secret", SecretId=self.physical_id, ForceDeleteWithoutRecovery=True)
