#!/usr/bin/env bash
# Stop the daemons .ci/slurm/up.sh started, by the process ids in their pid files
# (never by name: other Slurm or munge processes on the machine are not ours).
set -uo pipefail

stop_pidfile() {
    local pidfile=$1 pid
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
}

# slurmd first (it may still be running job steps), then the controller, then munge.
stop_pidfile /run/slurm/slurmd.pid
stop_pidfile /run/slurm/slurmctld.pid
stop_pidfile /run/munge/munged.pid
echo "slurm down"
