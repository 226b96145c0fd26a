"""Embedded AWS for one machine: ``cdk deploy`` of the reference app with no AWS account.

moto's server runs in this process on 127.0.0.1, taught the CloudFormation resource types the
reference app uses that moto lacks (:mod:`.models`, backed by moto's own service backends), and
the pinned CDK CLI deploys into it. From the command line (``make deploy-local``)::

    python -m ml_constructs.local deploy [--keep] [--port N]   # bootstrap, deploy, inventory, smoke, destroy
    python -m ml_constructs.local serve [--port N]             # just the emulator
    python -m ml_constructs.local destroy [--port N]           # destroy in a kept emulator
    python -m ml_constructs.local types                        # which types moto knows / is taught

From Python::

    from ml_constructs.local import LocalAws, LocalDeployment, run_smoke
    with LocalAws() as aws:
        deployment = LocalDeployment(aws)
        deployment.synth(); deployment.bootstrap(); deployment.deploy()
        print(deployment.inventory().format())
        for result in run_smoke(deployment):
            print(result)
        deployment.destroy()

Importing this package does not import moto; :meth:`LocalAws.start` (or :func:`install`) does.
"""

from .deployment import LocalDeployment
from .inventory import Inventory, ResourceCheck, take_inventory
from .server import ACCOUNT_ID, REGION, LocalAws, install
from .smoke import SmokeResult, run_smoke

__all__ = [
    "ACCOUNT_ID",
    "REGION",
    "Inventory",
    "LocalAws",
    "LocalDeployment",
    "ResourceCheck",
    "SmokeResult",
    "install",
    "run_smoke",
    "take_inventory",
]
