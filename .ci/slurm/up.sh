#!/usr/bin/env bash
# Bring up a single-node Slurm on localhost for the real-Slurm test (tests/test_slurm.py):
# install Debian's slurmctld, slurmd, slurm-client and munge if missing, write
# /etc/slurm/slurm.conf, start munged, slurmctld and slurmd, and wait until the node is idle.
# Needs root. Stop everything again with .ci/slurm/down.sh (it kills by the pid files below).
#
# Why these settings (found on CI-like containers):
# - the config sits at /etc/slurm/slurm.conf, not behind $SLURM_CONF: the plugin's jobstep
#   executor clears SLURM_* variables before its nested srun;
# - no cgroups in containers: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none;
# - slurmd -N localhost, so the container's hostname does not matter;
# - no slurmdbd: the profile polls with squeue, which sees finished jobs for MinJobAge seconds;
#   the plugin falls back to (endless) sacct polling unless MinJobAge >= 3 x its initial wait
#   (profiles/slurm-ci sets slurm-init-seconds-before-status-checks: 5, so >= 15 s; 300 here).
set -euo pipefail

STATE=/var/lib/slurm
LOGS=/var/log/slurm
RUN=/run/slurm

if [ "$(id -u)" != 0 ]; then
    echo "up.sh: needs root (it installs packages and starts system daemons)" >&2
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# Already up (a second call, or a developer's own daemons)? Then leave it alone.
if scontrol ping 2>/dev/null | grep -q "is UP" && sinfo -h -o %t 2>/dev/null | grep -qE "idle|mix|alloc"; then
    echo "slurm already up"
    exit 0
fi

# --- munge: /run/munge must exist and belong to munge, the key must be munge's and 0400.
mkdir -p /run/munge /var/lib/munge /var/log/munge /etc/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! [ -s /run/munge/munged.pid ] || ! kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; then
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
fi

# --- slurm.conf for one node called localhost, with this machine's CPUs and memory.
mkdir -p "$STATE/slurmctld" "$STATE/slurmd" "$LOGS" "$RUN" /etc/slurm
read -r CPUS SOCKETS CORES THREADS MEM < <(slurmd -C | head -1 | tr ' ' '\n' | awk -F= '
    $1=="CPUs"{c=$2} $1=="SocketsPerBoard"{s=$2} $1=="CoresPerSocket"{k=$2}
    $1=="ThreadsPerCore"{t=$2} $1=="RealMemory"{m=$2}
    END{print c, s, k, t, m}')
cat > /etc/slurm/slurm.conf <<CONF
# Written by .ci/slurm/up.sh: single-node Slurm on localhost for tests; not for production.
ClusterName=scalinglab-ci
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=300
KillWait=5
SlurmdTimeout=60
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS SocketsPerBoard=$SOCKETS CoresPerSocket=$CORES ThreadsPerCore=$THREADS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

/usr/sbin/slurmctld          # daemonizes; pid in $RUN/slurmctld.pid
/usr/sbin/slurmd -N localhost

# Wait (at most 60 s) for the controller to answer and the node to be usable.
for _ in $(seq 60); do
    if sinfo -h -o %t 2>/dev/null | grep -qE "^(idle|mix|alloc)"; then
        sinfo
        exit 0
    fi
    sleep 1
done
echo "up.sh: Slurm did not come up within 60 s; see $LOGS/slurmctld.log and $LOGS/slurmd.log" >&2
sinfo -R >&2 || true
exit 1
