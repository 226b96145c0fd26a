"""SageMaker model package groups, Studio domains and user profiles, Model Monitor's data-quality
job definitions and monitoring schedules (the schedule API: :mod:`..jobs.processing`)."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel

from ._base import _Taught


def _checked(operation: str, params: dict) -> dict:
    """``params`` as botocore's SageMaker model accepts them for ``operation``, or fail loudly."""
    from ...ml.service_model import validate_request

    problems = validate_request(operation, params)
    if problems:
        raise ValueError(f"{operation}: " + "; ".join(problems))
    return params


class SageMakerModelPackageGroup(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::ModelPackageGroup"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "ModelPackageGroupName"
    NAME_MAX = 63
    ATTRIBUTES = ("ModelPackageGroupArn", "CreationTime", "ModelPackageGroupStatus")

    def create(self) -> None:
        params = self.params("CreateModelPackageGroup", self.props, ModelPackageGroupName=self.name)
        arn = self.call("create_model_package_group", **params)["ModelPackageGroupArn"]
        group = self.call("describe_model_package_group", ModelPackageGroupName=self.name)
        created = group.get("CreationTime")
        self.physical_id = arn
        self.attributes.update(
            ModelPackageGroupArn=arn,
            CreationTime=created.isoformat() if hasattr(created, "isoformat") else str(created),
            ModelPackageGroupStatus=group.get("ModelPackageGroupStatus", "Completed"),
        )

    def remove(self) -> None:
        self.call("delete_model_package_group", ModelPackageGroupName=self.name)


class SageMakerDomain(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::Domain"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "DomainName"
    NAME_MAX = 63
    ATTRIBUTES = (
        "DomainArn",
        "DomainId",
        "Url",
        "HomeEfsFileSystemId",
        "SecurityGroupIdForDomainBoundary",
        "SingleSignOnManagedApplicationInstanceId",
        "SingleSignOnApplicationArn",
    )

    def create(self) -> None:
        response = self.call("create_domain", **self.params("CreateDomain", self.props, DomainName=self.name))
        domain_id = response["DomainArn"].rsplit("/", 1)[-1]
        domain = self.call("describe_domain", DomainId=domain_id)
        self.physical_id = domain_id
        self.attributes.update(
            DomainArn=response["DomainArn"],
            DomainId=domain_id,
            Url=response.get("Url") or domain.get("Url", ""),
            HomeEfsFileSystemId=domain.get("HomeEfsFileSystemId", ""),
            SecurityGroupIdForDomainBoundary=domain.get("SecurityGroupIdForDomainBoundary", ""),
            SingleSignOnManagedApplicationInstanceId=domain.get(
                "SingleSignOnManagedApplicationInstanceId", ""
            ),
            SingleSignOnApplicationArn=domain.get("SingleSignOnApplicationArn", ""),
        )

    def remove(self) -> None:
        self.call("delete_domain", DomainId=self.physical_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"})


class SageMakerUserProfile(_Taught, CloudFormationModel):
    """Studio user; the API is added to moto by :mod:`ml_constructs.local.services`."""

    TYPE = "AWS::SageMaker::UserProfile"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "UserProfileName"
    NAME_MAX = 63
    ATTRIBUTES = ("UserProfileArn",)
    UPDATABLE = True
    REPLACE_ON = ("DomainId", "SingleSignOnUserIdentifier", "SingleSignOnUserValue")

    def create(self) -> None:
        params = self.params("CreateUserProfile", self.props, UserProfileName=self.name)
        arn = self.call("create_user_profile", **params)["UserProfileArn"]
        self.physical_id = arn
        self.attributes["UserProfileArn"] = arn

    def update(self, changed: set[str]) -> None:
        params = self.params(
            "UpdateUserProfile",
            {"UserSettings": self.props.get("UserSettings")},
            DomainId=self.props["DomainId"],
            UserProfileName=self.name,
        )
        self.call("update_user_profile", **params)

    def remove(self) -> None:
        self.call("delete_user_profile", DomainId=self.props["DomainId"], UserProfileName=self.name)


class SageMakerDataQualityJobDefinition(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::DataQualityJobDefinition"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "JobDefinitionName"
    NAME_MAX = 63
    ATTRIBUTES = ("JobDefinitionArn", "CreationTime")

    def create(self) -> None:
        # EndpointName is CloudFormation's own property (the API reads it from the job input).
        props = {k: v for k, v in self.props.items() if k != "EndpointName"}
        params = _checked(
            "CreateDataQualityJobDefinition",
            self.params("CreateDataQualityJobDefinition", props, JobDefinitionName=self.name),
        )
        arn = self.call("create_data_quality_job_definition", **params)["JobDefinitionArn"]
        found = self.call("describe_data_quality_job_definition", JobDefinitionName=self.name)
        created = found.get("CreationTime")
        self.physical_id = arn  # Ref: the ARN
        self.attributes.update(
            JobDefinitionArn=arn,
            CreationTime=created.isoformat() if hasattr(created, "isoformat") else str(created),
        )

    def remove(self) -> None:
        self.call("delete_data_quality_job_definition", JobDefinitionName=self.name)


class SageMakerMonitoringSchedule(_Taught, CloudFormationModel):
    TYPE = "AWS::SageMaker::MonitoringSchedule"
    SERVICE = "sagemaker"
    NAME_PROPERTY = "MonitoringScheduleName"
    NAME_MAX = 63
    ATTRIBUTES = ("MonitoringScheduleArn", "CreationTime", "LastModifiedTime")
    UPDATABLE = True
    REPLACE_ON = ("MonitoringScheduleName",)

    def create(self) -> None:
        props = {k: v for k, v in self.props.items() if k not in ("EndpointName", "FailureReason")}
        params = _checked(
            "CreateMonitoringSchedule",
            self.params("CreateMonitoringSchedule", props, MonitoringScheduleName=self.name),
        )
        arn = self.call("create_monitoring_schedule", **params)["MonitoringScheduleArn"]
        self.physical_id = arn  # Ref: the ARN
        self._times(arn)

    def _times(self, arn: str) -> None:
        found = self.call("describe_monitoring_schedule", MonitoringScheduleName=self.name)
        times = {k: found.get(k) for k in ("CreationTime", "LastModifiedTime")}
        self.attributes.update(
            MonitoringScheduleArn=arn,
            **{k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in times.items()},
        )

    def update(self, changed: set[str]) -> None:
        params = _checked(
            "UpdateMonitoringSchedule",
            self.params("UpdateMonitoringSchedule", self.props, MonitoringScheduleName=self.name),
        )
        self.call("update_monitoring_schedule", **params)
        self._times(self.physical_id)

    def remove(self) -> None:
        self.call("delete_monitoring_schedule", MonitoringScheduleName=self.name)
