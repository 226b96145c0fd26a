"""EC2 networking: route tables, routes, gateways, EIPs, NAT gateways, flow logs, endpoints,
security group rules."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from .. import api
from ._base import _Taught


def _tag_specifications(resource_type: str, tags: Any) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": api.tag_list(tags)}] if tags else []


class Ec2RouteTable(_Taught, CloudFormationModel):
    """Replaces moto's model, and so do the other EC2 networking types below: moto's had no
    delete, so a stack delete left them behind and then failed on the VPC's dependencies."""

    TYPE = "AWS::EC2::RouteTable"
    SERVICE = "ec2"
    ATTRIBUTES = ("RouteTableId",)

    def create(self) -> None:
        table = self.call(
            "create_route_table",
            VpcId=self.props["VpcId"],
            TagSpecifications=_tag_specifications("route-table", self.props.get("Tags")),
        )["RouteTable"]
        self.physical_id = table["RouteTableId"]
        self.attributes["RouteTableId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_route_table", RouteTableId=self.physical_id)


class Ec2Route(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::Route"
    SERVICE = "ec2"
    ATTRIBUTES = ("CidrBlock",)
    _DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")

    def create(self) -> None:
        self.call("create_route", **self.params("CreateRoute", self.props))
        destination = next(self.props[k] for k in self._DESTINATIONS if self.props.get(k))
        self.physical_id = f"{self.props['RouteTableId']}|{destination}"
        self.attributes["CidrBlock"] = destination

    def remove(self) -> None:
        destination = {k: self.props[k] for k in self._DESTINATIONS if self.props.get(k)}
        self.call("delete_route", RouteTableId=self.props["RouteTableId"], **destination)


class Ec2InternetGateway(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::InternetGateway"
    SERVICE = "ec2"
    ATTRIBUTES = ("InternetGatewayId",)

    def create(self) -> None:
        specs = _tag_specifications("internet-gateway", self.props.get("Tags"))
        gateway = self.call("create_internet_gateway", TagSpecifications=specs)["InternetGateway"]
        self.physical_id = gateway["InternetGatewayId"]
        self.attributes["InternetGatewayId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_internet_gateway", InternetGatewayId=self.physical_id)


class Ec2VpcGatewayAttachment(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::VPCGatewayAttachment"
    SERVICE = "ec2"
    ATTRIBUTES = ("AttachmentType",)

    def create(self) -> None:
        p = self.props
        if p.get("InternetGatewayId"):
            self.call("attach_internet_gateway", InternetGatewayId=p["InternetGatewayId"], VpcId=p["VpcId"])
            kind = "IGW"
        else:
            self.call("attach_vpn_gateway", VpnGatewayId=p["VpnGatewayId"], VpcId=p["VpcId"])
            kind = "VGW"
        self.physical_id = f"{kind}|{p['VpcId']}"
        self.attributes["AttachmentType"] = kind

    def remove(self) -> None:
        p = self.props
        if p.get("InternetGatewayId"):
            self.call("detach_internet_gateway", InternetGatewayId=p["InternetGatewayId"], VpcId=p["VpcId"])
        else:
            self.call("detach_vpn_gateway", VpnGatewayId=p["VpnGatewayId"], VpcId=p["VpcId"])


class Ec2Eip(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::EIP"
    SERVICE = "ec2"
    ATTRIBUTES = ("AllocationId", "PublicIp")

    def create(self) -> None:
        specs = _tag_specifications("elastic-ip", self.props.get("Tags"))
        address = self.call("allocate_address", Domain="vpc", TagSpecifications=specs)
        self.physical_id = address["PublicIp"]
        self.attributes.update(AllocationId=address["AllocationId"], PublicIp=address["PublicIp"])
        if self.props.get("InstanceId"):
            self.call(
                "associate_address", AllocationId=address["AllocationId"], InstanceId=self.props["InstanceId"]
            )

    def remove(self) -> None:
        self.call("release_address", AllocationId=self.attributes["AllocationId"])


class Ec2NatGateway(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::NatGateway"
    SERVICE = "ec2"
    ATTRIBUTES = ("NatGatewayId",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k != "Tags"}
        specs = _tag_specifications("natgateway", self.props.get("Tags"))
        params = self.params("CreateNatGateway", properties, TagSpecifications=specs or None)
        gateway = self.call("create_nat_gateway", **params)["NatGateway"]
        self.physical_id = gateway["NatGatewayId"]
        self.attributes["NatGatewayId"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_nat_gateway", NatGatewayId=self.physical_id)


class Ec2FlowLog(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::FlowLog"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("ResourceId", "Tags")}
        specs = _tag_specifications("vpc-flow-log", self.props.get("Tags"))
        params = self.params(
            "CreateFlowLogs",
            properties,
            ResourceIds=[self.props["ResourceId"]],
            TagSpecifications=specs or None,
        )
        response = self.call("create_flow_logs", **params)
        if not response.get("FlowLogIds"):
            raise RuntimeError(f"no flow log created: {response.get('Unsuccessful')}")
        self.physical_id = response["FlowLogIds"][0]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call("delete_flow_logs", FlowLogIds=[self.physical_id])


class Ec2VpcEndpoint(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::VPCEndpoint"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id", "CreationTimestamp", "DnsEntries", "NetworkInterfaceIds")
    UPDATABLE = True
    REPLACE_ON = ("ServiceName", "VpcEndpointType", "VpcId")

    def create(self) -> None:
        properties = {k: v for k, v in self.props.items() if k not in ("Tags", "PolicyDocument")}
        policy = self.props.get("PolicyDocument")
        specs = _tag_specifications("vpc-endpoint", self.props.get("Tags"))
        params = self.params(
            "CreateVpcEndpoint",
            properties,
            PolicyDocument=json.dumps(policy) if isinstance(policy, dict) else policy,
            TagSpecifications=specs or None,
        )
        endpoint = self.call("create_vpc_endpoint", **params)["VpcEndpoint"]
        self.physical_id = endpoint["VpcEndpointId"]
        created = endpoint.get("CreationTimestamp")
        self.attributes.update(
            Id=self.physical_id,
            CreationTimestamp=created.isoformat() if hasattr(created, "isoformat") else str(created),
            DnsEntries=[
                f"{e.get('HostedZoneId', '')}:{e.get('DnsName', '')}" for e in endpoint.get("DnsEntries", [])
            ],
            NetworkInterfaceIds=endpoint.get("NetworkInterfaceIds", []),
        )

    def update(self, changed: set[str]) -> None:
        self.remove()
        self.create()

    def remove(self) -> None:
        self.call("delete_vpc_endpoints", VpcEndpointIds=[self.physical_id])


class Ec2SubnetRouteTableAssociation(_Taught, CloudFormationModel):
    """Replaces moto's model (it kept the association in a registry of its own: the route table
    never showed it, and its id was the route table's)."""

    TYPE = "AWS::EC2::SubnetRouteTableAssociation"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        response = self.call(
            "associate_route_table", RouteTableId=self.props["RouteTableId"], SubnetId=self.props["SubnetId"]
        )
        self.physical_id = response["AssociationId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call("disassociate_route_table", AssociationId=self.physical_id)


def _ip_permission(props: dict[str, Any], peer: str) -> dict[str, Any]:
    """One ``IpPermission`` from an ``AWS::EC2::SecurityGroupIngress/Egress`` (peer: Source or
    Destination)."""
    permission: dict[str, Any] = {"IpProtocol": str(props.get("IpProtocol", "-1"))}
    for key in ("FromPort", "ToPort"):
        if key in props:
            permission[key] = int(props[key])
    description = {"Description": props["Description"]} if props.get("Description") else {}
    if props.get("CidrIp"):
        permission["IpRanges"] = [{"CidrIp": props["CidrIp"], **description}]
    if props.get("CidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": props["CidrIpv6"], **description}]
    if props.get(f"{peer}PrefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": props[f"{peer}PrefixListId"], **description}]
    group = props.get(f"{peer}SecurityGroupId")
    if group:
        pair = {"GroupId": group, **description}
        if props.get("SourceSecurityGroupOwnerId"):
            pair["UserId"] = str(props["SourceSecurityGroupOwnerId"])
        permission["UserIdGroupPairs"] = [pair]
    elif props.get(f"{peer}SecurityGroupName"):
        permission["UserIdGroupPairs"] = [{"GroupName": props[f"{peer}SecurityGroupName"], **description}]
    return permission


class Ec2SecurityGroupIngress(_Taught, CloudFormationModel):
    """Replaces moto's model (no physical id, no delete)."""

    TYPE = "AWS::EC2::SecurityGroupIngress"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        group = (
            {"GroupId": self.props["GroupId"]}
            if self.props.get("GroupId")
            else {"GroupName": self.props["GroupName"]}
        )
        response = self.call(
            "authorize_security_group_ingress", **group, IpPermissions=[_ip_permission(self.props, "Source")]
        )
        self.physical_id = response["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        group = (
            {"GroupId": self.props["GroupId"]}
            if self.props.get("GroupId")
            else {"GroupName": self.props["GroupName"]}
        )
        self.call("revoke_security_group_ingress", **group, SecurityGroupRuleIds=[self.physical_id])


class Ec2SecurityGroupEgress(_Taught, CloudFormationModel):
    TYPE = "AWS::EC2::SecurityGroupEgress"
    SERVICE = "ec2"
    ATTRIBUTES = ("Id",)

    def create(self) -> None:
        response = self.call(
            "authorize_security_group_egress",
            GroupId=self.props["GroupId"],
            IpPermissions=[_ip_permission(self.props, "Destination")],
        )
        self.physical_id = response["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        self.attributes["Id"] = self.physical_id

    def remove(self) -> None:
        self.call(
            "revoke_security_group_egress",
            GroupId=self.props["GroupId"],
            SecurityGroupRuleIds=[self.physical_id],
        )
