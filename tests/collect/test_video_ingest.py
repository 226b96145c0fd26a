"""VideoIngest: encrypted streams per device, producer role, produce and consume grants."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from ml_constructs import DataLake
from ml_constructs.collect import VideoIngest, VideoMediaType, VideoStorageTier
from ml_constructs.collect.video_ingest import CONSUME_ACTIONS, PRODUCE_ACTIONS
from ml_constructs.testing import normalize_template
from tests.collect.conftest import raises, synth_checked


def _policy(template: Template, prefix: str) -> list[dict]:
    for logical_id, policy in template.find_resources("AWS::IAM::Policy").items():
        if logical_id.startswith(prefix):
            return policy["Properties"]["PolicyDocument"]["Statement"]
    raise AssertionError(prefix)


@pytest.fixture(scope="module")
def default() -> tuple[Template, VideoIngest, list[str]]:
    def build(stack: Stack) -> VideoIngest:
        lake = DataLake(stack, "Lake")
        video = VideoIngest(
            stack,
            "Cameras",
            lake=lake,
            devices=["dock-1", "dock-2"],
            producer_principal=iam.ServicePrincipal("credentials.iot.amazonaws.com"),
        )
        video.grant_consume(
            iam.Role(stack, "Inference", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        )
        return video

    return synth_checked(build)


def test_default_is_compliant(default):
    assert default[2] == []


def test_default_matches_snapshot(default, snapshot):
    assert normalize_template(default[0].to_json()) == snapshot


def test_one_encrypted_stream_per_device(default):
    template, video, _ = default
    key = Stack.of(video).resolve(video.encryption_key.key_arn)
    streams = template.find_resources("AWS::KinesisVideo::Stream")
    assert sorted(s["Properties"]["DeviceName"] for s in streams.values()) == ["dock-1", "dock-2"]
    for stream in streams.values():
        assert stream["Properties"] == {
            "DeviceName": stream["Properties"]["DeviceName"],
            "KmsKeyId": key,
            "MediaType": "video/h264",
            "DataRetentionInHours": 24,
        }
    assert video.encryption_key is video.node.scope.node.find_child("Lake").encryption_key


def test_producer_role_may_only_put_media_and_encrypt(default):
    template, video, _ = default
    stack = Stack.of(video)
    statements = _policy(template, "CamerasProducerRole")
    assert statements[0]["Action"] == list(PRODUCE_ACTIONS)
    assert statements[0]["Resource"] == [stack.resolve(arn) for arn in video.stream_arns]
    assert statements[1]["Action"] == "kms:GenerateDataKey"
    assert statements[1]["Condition"] == {
        "StringEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["kinesisvideo.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [Match.object_like({"Principal": {"Service": "credentials.iot.amazonaws.com"}})]
            }
        },
    )


def test_consumer_grant_reads_and_decrypts(default):
    template, _, _ = default
    statements = _policy(template, "InferenceDefaultPolicy")
    assert statements[0]["Action"] == list(CONSUME_ACTIONS)
    assert statements[1]["Action"] == "kms:Decrypt"
    assert not any(a.endswith("PutMedia") for a in statements[0]["Action"])


def test_non_default_media_retention_tier_and_a_key_of_its_own():
    def build(stack: Stack) -> VideoIngest:
        video = VideoIngest(
            stack,
            "Doorbell",
            media_type="video/h265,audio/opus",
            retention=Duration.days(30),
            storage_tier=VideoStorageTier.WARM,
        )
        video.grant_produce(iam.Role(stack, "Camera", assumed_by=iam.AccountRootPrincipal()), "camera")
        return video

    template, video, problems = synth_checked(build)
    assert problems == []
    assert video.producer_role is None
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties(
        "AWS::KinesisVideo::Stream",
        {
            "DeviceName": "camera",
            "MediaType": "video/h265,audio/opus",
            "DataRetentionInHours": 720,
            "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
        },
    )
    statements = _policy(template, "CameraDefaultPolicy")
    assert statements[0]["Resource"] == Stack.of(video).resolve(video.stream_arn("camera"))


def test_live_only_stream_keeps_nothing():
    def build(stack: Stack) -> VideoIngest:
        return VideoIngest(stack, "Live", retention=Duration.hours(0), media_type=VideoMediaType.H264_AAC)

    stack = Stack()
    build(stack)
    Template.from_stack(stack).has_resource_properties(
        "AWS::KinesisVideo::Stream", {"DataRetentionInHours": 0, "MediaType": "video/h264,audio/aac"}
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"devices": []}, "invalid devices=[]; allowed: a non-empty list of device names"),
        ({"devices": "cam"}, "invalid devices='cam'; allowed: a non-empty list"),
        ({"devices": ["cam 1"]}, "invalid devices='cam 1'; allowed: names of 1-128 letters"),
        ({"devices": ["cam", "cam"]}, "invalid devices=['cam', 'cam']; allowed: distinct device names"),
        ({"media_type": "h264"}, "invalid media_type='h264'; allowed: a VideoMediaType or MIME types"),
        ({"retention": Duration.minutes(90)}, "invalid retention='1.5 hours'; allowed: whole hours"),
        ({"retention": Duration.days(3651)}, "invalid retention=87624; allowed: 0..87600 hours"),
    ],
)
def test_bad_arguments_are_rejected_with_a_clear_message(kwargs, message):
    error = raises(lambda stack: VideoIngest(stack, "V", **kwargs))
    assert error.startswith("Test/V: ") and message in error, error


def test_unknown_device_is_rejected():
    error = raises(lambda stack: VideoIngest(stack, "V").stream_arn("other"))
    assert "Test/V: invalid device='other'; allowed: one of camera" in error
