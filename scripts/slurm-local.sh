#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the sweep tests and for trying `fusemix sweep slurm`:
#   scripts/slurm-local.sh start    munge key, slurm.conf, munged, slurmctld and slurmd; waits until
#                                   sinfo shows the node idle (about a minute the first time)
#   scripts/slurm-local.sh stop     stops the three daemons
#   scripts/slurm-local.sh status   exit 0 when the node answers
# Needs root and Debian's slurm-wlm and munge (apt-get install slurm-wlm munge). It writes
# /etc/slurm/slurm.conf and /etc/munge/munge.key only if they are missing or were written by it.
set -euo pipefail
HOST=$(hostname -s)
CPUS=$(nproc)
CONF=/etc/slurm/slurm.conf
MARK='# written by fusemix scripts/slurm-local.sh'
STATE=/var/lib/fusemix-slurm

need() { command -v "$1" >/dev/null 2>&1 || { echo "slurm-local: $1 not found (apt-get install slurm-wlm munge)" >&2; exit 3; }; }

status() { timeout 10 sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; }

start() {
  need munged; need slurmctld; need slurmd; need sinfo
  if status; then echo "slurm-local: already up ($HOST, $CPUS CPUs)"; return 0; fi
  mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge /etc/slurm "$STATE"/{ctld,d} /var/log/slurm
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge 2>/dev/null || true
  chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
  if [ ! -f "$CONF" ] || grep -q "$MARK" "$CONF"; then
    cat > "$CONF" <<CONF
$MARK
ClusterName=fusemix
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=main Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
  fi
  pgrep -x munged >/dev/null || (su -s /bin/sh munge -c munged 2>/dev/null || munged --force)
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 120); do
    if status; then echo "slurm-local: up ($HOST, $CPUS CPUs)"; return 0; fi
    scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "slurm-local: the node did not become idle in 120 s; logs:" >&2
  tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
  exit 4
}

stop() {
  pkill -x slurmd 2>/dev/null || true
  pkill -x slurmctld 2>/dev/null || true
  pkill -x munged 2>/dev/null || true
  echo "slurm-local: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
