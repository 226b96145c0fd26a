#!/bin/bash
# ml-constructs notebook on-start lifecycle script (runs as root at every start of the instance).
#
# Installs the idle auto-stop: ml-constructs' autostop.py (embedded below, gzip + base64) runs every
# 5 minutes from root's crontab -- or from a systemd timer where cron is not installed (Amazon
# Linux 2023) -- and stops this instance through the SageMaker API once Jupyter has been idle for
# __IDLE_MINUTES__ minutes. The root volume is re-created at each start, hence on-start, not
# on-create. Finishes in seconds (SageMaker allows 5 minutes); a missing Python with boto3 fails
# the start on purpose, so an instance never runs without its auto-stop.
set -euo pipefail

IDLE_MINUTES=__IDLE_MINUTES__
# The ML_AUTOSTOP_* variables exist for tests only; SageMaker sets none of them.
SCRIPT=${ML_AUTOSTOP_SCRIPT:-/usr/local/bin/ml-constructs-autostop.py}
LOG=${ML_AUTOSTOP_LOG:-/var/log/jupyter.log} # streamed to CloudWatch Logs (/aws/sagemaker/NotebookInstances)

echo "ml-constructs: installing the auto-stop (${IDLE_MINUTES} idle minutes)"
base64 -d <<'AUTOSTOP' | gunzip >"$SCRIPT"
__AUTOSTOP_BASE64__
AUTOSTOP
chmod 0755 "$SCRIPT"

PYTHON=""
for candidate in ${ML_AUTOSTOP_PYTHON:-} \
  /home/ec2-user/anaconda3/envs/JupyterSystemEnv/bin/python \
  /usr/bin/python3 \
  /usr/local/bin/python3; do
  if [ -x "$candidate" ] && "$candidate" -c "import boto3" >/dev/null 2>&1; then
    PYTHON="$candidate"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  echo "ml-constructs: no Python with boto3 found; cannot install the auto-stop" >&2
  exit 1
fi
"$PYTHON" "$SCRIPT" --check --idle-minutes "$IDLE_MINUTES"

COMMAND="$PYTHON $SCRIPT --idle-minutes $IDLE_MINUTES >>$LOG 2>&1"
if command -v crontab >/dev/null 2>&1; then
  {
    crontab -l 2>/dev/null | grep -v ml-constructs-autostop || true
    echo "*/5 * * * * $COMMAND"
  } | crontab -
  echo "ml-constructs: auto-stop scheduled in root's crontab every 5 minutes with $PYTHON"
else
  cat >/etc/systemd/system/ml-constructs-autostop.service <<EOF
[Unit]
Description=Stop this notebook instance when Jupyter is idle (ml-constructs)

[Service]
Type=oneshot
ExecStart=/bin/sh -c '$COMMAND'
EOF
  cat >/etc/systemd/system/ml-constructs-autostop.timer <<EOF
[Unit]
Description=Run the ml-constructs notebook auto-stop every 5 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=5min

[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now ml-constructs-autostop.timer
  echo "ml-constructs: auto-stop scheduled as a systemd timer every 5 minutes with $PYTHON"
fi
