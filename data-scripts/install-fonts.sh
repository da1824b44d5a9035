#!/usr/bin/env bash
# Installs the curated Latin font list (126 Debian packages, 38 MB; spec/data.md §2.2) for the `glyphs` data set.
# The list lives in src/ResearchKit.Data/Glyphs/curated-fonts.txt (embedded in the library, the single source).
set -euo pipefail
list="$(cd "$(dirname "$0")/.." && pwd)/src/ResearchKit.Data/Glyphs/curated-fonts.txt"
[ -f "$list" ] || { echo "error: $list not found" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || { echo "error: apt-get update failed (network unavailable?)" >&2; exit 1; }
# shellcheck disable=SC2046
$SUDO apt-get install -y -qq --no-install-recommends $(cat "$list")
echo "installed $(wc -w < "$list") font packages; render with: researchkit data render glyphs"
