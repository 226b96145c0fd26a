"""DMS subnet groups, instances, endpoints, tasks and Serverless replication configs."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class DmsReplicationSubnetGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationSubnetGroup"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationSubnetGroupIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255

    def create(self) -> None:
        params = self.params(
            "CreateReplicationSubnetGroup", self.props, ReplicationSubnetGroupIdentifier=self.name
        )
        self.call("create_replication_subnet_group", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_replication_subnet_group", ReplicationSubnetGroupIdentifier=self.name)


class DmsReplicationInstance(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationInstance"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationInstanceIdentifier"
    NAME_LOWER = True
    NAME_MAX = 63
    ATTRIBUTES = ("Id", "ReplicationInstancePrivateIpAddresses", "ReplicationInstancePublicIpAddresses")

    def create(self) -> None:
        params = self.params("CreateReplicationInstance", self.props, ReplicationInstanceIdentifier=self.name)
        instance = self.call("create_replication_instance", **params)["ReplicationInstance"]
        self.physical_id = instance["ReplicationInstanceArn"]
        self.attributes.update(
            Id=self.physical_id,
            ReplicationInstancePrivateIpAddresses=",".join(
                instance.get("ReplicationInstancePrivateIpAddresses") or []
            ),
            ReplicationInstancePublicIpAddresses=",".join(
                instance.get("ReplicationInstancePublicIpAddresses") or []
            ),
        )

    def remove(self) -> None:
        self.call("delete_replication_instance", ReplicationInstanceArn=self.physical_id)


class DmsEndpoint(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::Endpoint"
    SERVICE = "dms"
    NAME_PROPERTY = "EndpointIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("EndpointArn", "ExternalId")

    def create(self) -> None:
        # PostgreSqlSettings -> PostgreSQLSettings etc.: api_params matches keys case-insensitively.
        endpoint = self.call(
            "create_endpoint", **self.params("CreateEndpoint", self.props, EndpointIdentifier=self.name)
        )["Endpoint"]
        self.physical_id = endpoint["EndpointArn"]
        self.attributes.update(EndpointArn=self.physical_id, ExternalId=endpoint.get("ExternalId", self.name))

    def remove(self) -> None:
        self.call("delete_endpoint", EndpointArn=self.physical_id)


class DmsReplicationTask(_Taught, CloudFormationModel):
    TYPE = "AWS::DMS::ReplicationTask"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationTaskIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("ReplicationTaskArn",)

    def create(self) -> None:
        params = self.params("CreateReplicationTask", self.props, ReplicationTaskIdentifier=self.name)
        task = self.call("create_replication_task", **params)["ReplicationTask"]
        self.physical_id = task["ReplicationTaskArn"]
        self.attributes["ReplicationTaskArn"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_replication_task", ReplicationTaskArn=self.physical_id)


class DmsReplicationConfig(_Taught, CloudFormationModel):
    """DMS Serverless; the API is added to moto by :mod:`ml_constructs.local.services`."""

    TYPE = "AWS::DMS::ReplicationConfig"
    SERVICE = "dms"
    NAME_PROPERTY = "ReplicationConfigIdentifier"
    NAME_LOWER = True
    NAME_MAX = 255
    ATTRIBUTES = ("ReplicationConfigArn",)
    UPDATABLE = True
    REPLACE_ON = ("ResourceIdentifier",)

    def create(self) -> None:
        params = self.params("CreateReplicationConfig", self.props, ReplicationConfigIdentifier=self.name)
        config = self.call("create_replication_config", **params)["ReplicationConfig"]
        self.physical_id = config["ReplicationConfigArn"]
        self.attributes["ReplicationConfigArn"] = self.physical_id

    def update(self, changed: set[str]) -> None:
        params = self.params("ModifyReplicationConfig", self.props, ReplicationConfigArn=self.physical_id)
        self.call("modify_replication_config", **params)

    def remove(self) -> None:
        self.call("delete_replication_config", ReplicationConfigArn=self.physical_id)
