#!/usr/bin/env bash
# Example Slurm array: one shard of an experiment per task, then `researchkit report` merges them.
#   sbatch --array=0-7 scripts/slurm-experiment.sh table4 paper
#   dotnet run -c Release --project src/ResearchKit.Cli -- report runs/table4-paper
#SBATCH --job-name=researchkit
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --output=logs/%x-%A_%a.out
set -euo pipefail
experiment="${1:?experiment (see researchkit list)}"
profile="${2:-paper}"
shards="${SLURM_ARRAY_TASK_COUNT:-1}"
index="${SLURM_ARRAY_TASK_ID:-0}"
device="${DEVICE:-cuda}"
exec dotnet run -c Release --project src/ResearchKit.Cli -- run "$experiment" --profile "$profile" \
  --shard "$index/$shards" --device "$device" --out "${OUT:-runs}"
