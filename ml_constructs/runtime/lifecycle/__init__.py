"""Scripts that run on SageMaker notebook instances, embedded into lifecycle configurations at synth.

:func:`on_start_script` renders ``on_start.sh`` with ``autostop.py`` inside it (gzip + base64),
ready for ``AWS::SageMaker::NotebookInstanceLifecycleConfig`` (which takes it base64-encoded, at
most 16 KB). Standard library only.
"""

from __future__ import annotations

import base64
import gzip
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUTOSTOP = HERE / "autostop.py"
ON_START = HERE / "on_start.sh"
# SageMaker's limit on the base64 content of a lifecycle hook (NotebookInstanceLifecycleConfigContent).
MAX_CONTENT_CHARS = 16384


def on_start_script(idle_minutes: int) -> str:
    """The on-start shell script installing the auto-stop after ``idle_minutes`` idle minutes."""
    if isinstance(idle_minutes, bool) or not isinstance(idle_minutes, int) or idle_minutes < 1:
        raise ValueError(f"idle_minutes must be a positive integer, got {idle_minutes!r}")
    # mtime=0: the same script gives the same bytes at every synth (stable templates and snapshots).
    packed = base64.encodebytes(gzip.compress(AUTOSTOP.read_bytes(), compresslevel=9, mtime=0))
    script = ON_START.read_text(encoding="utf-8")
    script = script.replace("__AUTOSTOP_BASE64__", packed.decode("ascii").strip())
    return script.replace("__IDLE_MINUTES__", str(idle_minutes))


def lifecycle_content(script: str) -> str:
    """``script`` base64-encoded, as the lifecycle configuration's ``Content`` wants it."""
    return base64.b64encode(script.encode("utf-8")).decode("ascii")
