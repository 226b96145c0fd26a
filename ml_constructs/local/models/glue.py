"""Glue databases, tables, jobs, crawlers, security configurations, triggers."""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


class GlueDatabase(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Database"
    SERVICE = "glue"
    NAME_LOWER = True
    NAME_MAX = 255
    UPDATABLE = True
    REPLACE_ON = ("CatalogId",)

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        return (properties.get("DatabaseInput") or {}).get("Name") or properties.get("DatabaseName")

    def _input(self) -> dict[str, Any]:
        return {**(self.props.get("DatabaseInput") or {}), "Name": self.name}

    def create(self) -> None:
        params = self.params(
            "CreateDatabase", {"CatalogId": self.props.get("CatalogId")}, DatabaseInput=self._input()
        )
        self.call("create_database", **params)
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        self.call(
            "update_database",
            **self.params("UpdateDatabase", {}, Name=self.name, DatabaseInput=self._input()),
        )

    def remove(self) -> None:
        self.call("delete_database", Name=self.name)


class GlueTable(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Table"
    SERVICE = "glue"
    NAME_LOWER = True
    NAME_MAX = 255
    UPDATABLE = True
    REPLACE_ON = ("CatalogId", "DatabaseName")

    @classmethod
    def explicit_name(cls, properties: dict[str, Any]) -> str | None:
        return (properties.get("TableInput") or {}).get("Name")

    def _input(self) -> dict[str, Any]:
        return {**(self.props.get("TableInput") or {}), "Name": self.name}

    def create(self) -> None:
        params = self.params("CreateTable", self.props, TableInput=self._input())
        self.call("create_table", **params)
        self.physical_id = self.name

    def update(self, changed: set[str]) -> None:
        params = self.params("UpdateTable", self.props, TableInput=self._input())
        self.call("update_table", **params)

    def remove(self) -> None:
        self.call("delete_table", DatabaseName=self.props["DatabaseName"], Name=self.name)


class GlueJob(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Job"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 255

    def create(self) -> None:
        self.call("create_job", **self.params("CreateJob", self.props, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_job", JobName=self.name)


class GlueCrawler(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Crawler"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 255

    def create(self) -> None:
        properties = dict(self.props)
        if isinstance(properties.get("Schedule"), dict):  # CloudFormation: {ScheduleExpression}
            properties["Schedule"] = properties["Schedule"].get("ScheduleExpression")
        self.call("create_crawler", **self.params("CreateCrawler", properties, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_crawler", Name=self.name)


class GlueSecurityConfiguration(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::SecurityConfiguration"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 255

    def create(self) -> None:
        encryption = dict(self.props.get("EncryptionConfiguration") or {})
        if "S3Encryptions" in encryption:  # CloudFormation's name for the API's S3Encryption
            encryption["S3Encryption"] = encryption.pop("S3Encryptions")
        params = self.params(
            "CreateSecurityConfiguration", {}, Name=self.name, EncryptionConfiguration=encryption
        )
        self.call("create_security_configuration", **params)
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_security_configuration", Name=self.name)


class GlueTrigger(_Taught, CloudFormationModel):
    TYPE = "AWS::Glue::Trigger"
    SERVICE = "glue"
    NAME_PROPERTY = "Name"
    UNIQUE_NAME = True
    NAME_MAX = 255

    def create(self) -> None:
        self.call("create_trigger", **self.params("CreateTrigger", self.props, Name=self.name))
        self.physical_id = self.name

    def remove(self) -> None:
        self.call("delete_trigger", Name=self.name)
