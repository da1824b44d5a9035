#!/usr/bin/env bash
# A Slurm array: one shard of an experiment per task; `researchkit report` merges them. Submit from the repository root
# after `bash scripts/setup.sh` (it installs .tools/researchkit, the command every task runs: no per-task build, no
# `dotnet run` wrapper; signals from scancel reach the trainer, which stops cleanly and resumes on resubmission).
#   sbatch --array=0-7 --gres=gpu:1 --cpus-per-task=8 scripts/slurm-experiment.sh table4 paper    # GPU cluster
#   sbatch --array=0-3 scripts/slurm-experiment.sh table1 smoke                                    # CPU (tests/ResearchKit.Cli.Tests)
#   .tools/researchkit report runs/table4-paper
# Environment: OUT (output root, default runs), DEVICE (default cuda when Slurm gave the task a GPU, else cpu),
# RESEARCHKIT (the command, default .tools/researchkit under the submit folder), RESEARCHKIT_DATA (data root).
#SBATCH --job-name=researchkit
#SBATCH --time=24:00:00
#SBATCH --output=researchkit-%A_%a.out
#SBATCH --signal=TERM@120
set -euo pipefail
experiment="${1:?experiment (see researchkit list)}"
profile="${2:-paper}"
shards="${SLURM_ARRAY_TASK_COUNT:-1}"
index="${SLURM_ARRAY_TASK_ID:-0}"
if [ -n "${SLURM_ARRAY_TASK_MIN:-}" ]; then index=$((index - SLURM_ARRAY_TASK_MIN)); fi
default_device=cpu; [ -n "${CUDA_VISIBLE_DEVICES:-}" ] && default_device=cuda
device="${DEVICE:-$default_device}"
rk="${RESEARCHKIT:-${SLURM_SUBMIT_DIR:-.}/.tools/researchkit}"
[ -x "$rk" ] || { echo "slurm-experiment.sh: $rk not found; run bash scripts/setup.sh in the repository first" >&2; exit 1; }
exec "$rk" run "$experiment" --profile "$profile" --shard "$index/$shards" --device "$device" --out "${OUT:-runs}"
