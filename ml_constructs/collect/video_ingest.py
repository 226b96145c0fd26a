"""VideoIngest: Kinesis Video Streams for cameras, encrypted, with least-privilege access."""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from aws_cdk import aws_kms as kms
from constructs import Construct

from ..core import check_choice, check_range, invalid, secure_key
from ..core.validation import check_construct_id
from ..store.data_lake import DataLake


class VideoMediaType(StrEnum):
    """The media a stream carries (the MIME type consumers see)."""

    H264 = "video/h264"
    H265 = "video/h265"
    H264_AAC = "video/h264,audio/aac"
    H265_AAC = "video/h265,audio/aac"


class VideoStorageTier(StrEnum):
    """Where Kinesis Video keeps retained media."""

    HOT = "HOT"  # low-latency access (default)
    WARM = "WARM"  # cheaper storage for long retention, slower first byte


# What a producer (camera, SDK) and a consumer (player, ML inference) may call.
PRODUCE_ACTIONS = ("kinesisvideo:DescribeStream", "kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia")
CONSUME_ACTIONS = (
    "kinesisvideo:DescribeStream",
    "kinesisvideo:GetDataEndpoint",
    "kinesisvideo:GetMedia",
    "kinesisvideo:GetMediaForFragmentList",
    "kinesisvideo:ListFragments",
    "kinesisvideo:GetHLSStreamingSessionURL",
    "kinesisvideo:GetDASHStreamingSessionURL",
    "kinesisvideo:GetClip",
    "kinesisvideo:GetImages",
)
_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,128}")
_MEDIA = re.compile(r"[\w\-.+]+/[\w\-.+]+(,[\w\-.+]+/[\w\-.+]+)*")
MAX_RETENTION_HOURS = 87600  # 10 years


class VideoIngest(Construct):
    """One Kinesis Video stream per device, KMS-encrypted, with producer and consumer grants.

    Video does not go through S3: Kinesis Video Streams stores the media itself for
    ``retention`` (fragments are billed per GB-month) and serves it to consumers (HLS/DASH
    playback, ``GetMedia`` for inference, ``GetImages`` for frames to train on).

    Args:
        lake: the data lake whose key encrypts the streams (or pass ``encryption_key``).
        encryption_key: KMS key (default the lake's key, else a new one with rotation).
        devices: one stream per device name (letters, digits, ``_.-``; default ``("camera",)``).
        media_type: a :class:`VideoMediaType` or a MIME type string (default H.264).
        retention: how long media is kept, in whole hours, 0 (live only, nothing stored) to 10
            years (default 24 hours).
        storage_tier: HOT (default) or WARM.
        producer_principal: create ``producer_role``, assumable by this principal (for
            example the IoT credentials provider), allowed to put media into the streams.
        removal_policy: of a key created here (the streams themselves are deleted with the
            stack; default the lake's, else RETAIN).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        lake: DataLake | None = None,
        encryption_key: kms.IKey | None = None,
        devices: Sequence[str] = ("camera",),
        media_type: VideoMediaType | str = VideoMediaType.H264,
        retention: Duration = Duration.hours(24),
        storage_tier: VideoStorageTier = VideoStorageTier.HOT,
        producer_principal: iam.IPrincipal | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        check_construct_id(scope, id, "VideoIngest")
        super().__init__(scope, id)
        removal = removal_policy or (lake.removal_policy if lake else RemovalPolicy.RETAIN)
        if isinstance(devices, str) or not devices:
            raise invalid(self, "devices", devices, "a non-empty list of device names")
        for device in devices:
            if not isinstance(device, str) or not _NAME.fullmatch(device):
                raise invalid(self, "devices", device, "names of 1-128 letters, digits, '_', '.' or '-'")
        if len(set(devices)) != len(devices):
            raise invalid(self, "devices", list(devices), "distinct device names")
        media = media_type.value if isinstance(media_type, VideoMediaType) else media_type
        if not isinstance(media, str) or len(media) > 128 or not _MEDIA.fullmatch(media):
            raise invalid(
                self, "media_type", media_type, "a VideoMediaType or MIME types like 'video/h264,audio/aac'"
            )
        hours = retention.to_hours(integral=False)
        if hours != int(hours):
            raise invalid(self, "retention", f"{hours} hours", "whole hours")
        check_range(self, "retention", int(hours), minimum=0, maximum=MAX_RETENTION_HOURS, unit="hours")
        check_choice(self, "storage_tier", storage_tier, list(VideoStorageTier))

        self.encryption_key: kms.IKey = (
            encryption_key
            or (lake.encryption_key if lake else None)
            or secure_key(self, "Key", description=f"Video key of {self.node.path}", removal_policy=removal)
        )
        self.media_type = media
        self.streams: dict[str, kinesisvideo.CfnStream] = {}
        for device in devices:
            self.streams[device] = kinesisvideo.CfnStream(
                self,
                f"Stream-{device}",
                device_name=device,
                media_type=media,
                data_retention_in_hours=int(hours),
                kms_key_id=self.encryption_key.key_arn,
                # HOT is the service default: only a WARM tier is written out
                stream_storage_configuration=kinesisvideo.CfnStream.StreamStorageConfigurationProperty(
                    default_storage_tier=VideoStorageTier.WARM.value
                )
                if storage_tier == VideoStorageTier.WARM
                else None,
            )
        self.stream_arns = [s.attr_arn for s in self.streams.values()]

        self.producer_role: iam.Role | None = None
        if producer_principal is not None:
            self.producer_role = iam.Role(
                self,
                "ProducerRole",
                assumed_by=producer_principal,
                description=f"Puts media into the video streams of {self.node.path}",
            )
            self.grant_produce(self.producer_role)

    def stream_arn(self, device: str) -> str:
        """The ARN of ``device``'s stream."""
        if device not in self.streams:
            raise invalid(self, "device", device, "one of " + ", ".join(self.streams))
        return self.streams[device].attr_arn

    def _grant(
        self, grantee: iam.IGrantable, actions: Sequence[str], key_actions: Sequence[str], devices
    ) -> iam.Grant:
        arns = [self.stream_arn(d) for d in devices] if devices else self.stream_arns
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=arns)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(key_actions),
                resources=[self.encryption_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"kinesisvideo.{Aws.REGION}.amazonaws.com"}},
            )
        )
        return grant

    def grant_produce(self, grantee: iam.IGrantable, *devices: str) -> iam.Grant:
        """Put media into the streams (all, or those of ``devices``), encrypting with the key."""
        return self._grant(grantee, PRODUCE_ACTIONS, ["kms:GenerateDataKey"], devices)

    def grant_consume(self, grantee: iam.IGrantable, *devices: str) -> iam.Grant:
        """Read, play back and take frames from the streams (all, or those of ``devices``)."""
        return self._grant(grantee, CONSUME_ACTIONS, ["kms:Decrypt"], devices)

    def metric(self, metric_name: str, device: str, *, statistic: str = "Sum") -> cloudwatch.Metric:
        """A Kinesis Video metric (``AWS/KinesisVideo``) of ``device``'s stream, e.g.
        ``PutMedia.IncomingFragments`` or ``GetMedia.OutgoingBytes``."""
        stream = self.streams.get(device)
        if stream is None:
            raise invalid(self, "device", device, "one of " + ", ".join(self.streams))
        return cloudwatch.Metric(
            namespace="AWS/KinesisVideo",
            metric_name=metric_name,
            dimensions_map={"StreamName": stream.ref},
            statistic=statistic,
            period=Duration.minutes(5),
        )


__all__ = ["VideoIngest", "VideoMediaType", "VideoStorageTier"]
