"""Registry accounts of SageMaker's built-in algorithm images, shipped with the library.

Used when the optional ``sagemaker`` extra is not installed. Copied from the sagemaker Python
SDK's ``image_uri_config/xgboost.json`` (training scope): every listed version of the built-in
XGBoost algorithm lives in the ``sagemaker-xgboost`` repository of the same per-region account.
"""

from __future__ import annotations

# region -> account of the sagemaker-xgboost repository (versions 0.90-1 and later).
_XGBOOST_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

# algorithm -> version -> (repository, region -> account)
BUILT_IN_IMAGES: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "xgboost": {
        version: ("sagemaker-xgboost", _XGBOOST_REGISTRIES)
        for version in ("0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1")
    },
}

# region -> account of SageMaker Model Monitor's analyzer image (``sagemaker-model-monitor-analyzer``,
# untagged: the current release), from the sagemaker Python SDK's ``image_uri_config/model-monitor.json``.
MODEL_MONITOR_REPOSITORY = "sagemaker-model-monitor-analyzer"
MODEL_MONITOR_REGISTRIES: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}
