#!/usr/bin/env bash
# A single-node Slurm cluster on localhost in a private folder (munged, slurmctld, slurmd; proctrack/linuxproc, no
# cgroups), for the real-Slurm test and for trying scripts/slurm-experiment.sh without a cluster. Debian 12: apt
# packages slurm-wlm and munge (.ci/apt-packages.txt). Needs root (slurmd starts jobs as their user).
#   bash scripts/slurm-local.sh start DIR   # prints `export SLURM_CONF=DIR/slurm.conf`; waits until the node is idle
#   bash scripts/slurm-local.sh stop DIR
# Everything (config, munge key and socket, state, logs) lives in DIR, on free ports, so it touches no system service.
set -euo pipefail
cmd="${1:?start|stop}"; dir="${2:?folder for the cluster files}"
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

stop() {
  for p in slurmd slurmctld munged; do
    [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
  done
  sleep 1
  for p in slurmd slurmctld munged; do
    [ -f "$dir/$p.pid" ] && kill -9 "$(cat "$dir/$p.pid")" 2>/dev/null || true
    rm -f "$dir/$p.pid"
  done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "slurm-local.sh: expected start or stop; got '$cmd'" >&2; exit 2; }
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || { echo "slurm-local.sh: $b not found; install the apt packages slurm-wlm and munge (bash scripts/setup.sh)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm-local.sh: needs root (slurmd runs jobs as their submitting user)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 2048)}' /proc/meminfo)   # half the memory, in MiB
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chown munge:munge "$dir/munge" 2>/dev/null || true
[ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; }
chown munge:munge "$dir/munge/munge.key" 2>/dev/null || true; chmod 600 "$dir/munge/munge.key"

cat > "$dir/slurm.conf" <<CONF
ClusterName=researchkit-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ReturnToService=2
MaxJobCount=1000
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

die() {
  echo "slurm-local.sh: $1" >&2
  for f in munged.err munge/munged.log slurmctld.log slurmd.log; do
    if [ -f "$dir/$f" ]; then echo "--- $f (last lines)" >&2; tail -n 8 "$dir/$f" >&2; fi
  done
  stop
  exit 1
}
runuser -u munge -- munged --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munge.seed" 2>>"$dir/munged.err" \
  || die "munged did not start"
cp "$dir/munge/munged.pid" "$dir/munged.pid"
slurmctld -f "$SLURM_CONF" 2>>"$dir/slurmctld.log" || die "slurmctld did not start"
slurmd -f "$SLURM_CONF" 2>>"$dir/slurmd.log" || die "slurmd did not start"
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
  case "$state" in idle*) echo "export SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 1
done
die "node $host not idle after 60 s (state: '${state:-none}')"
