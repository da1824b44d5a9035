#!/usr/bin/env bash
# Set-up for the README's commands and for CI, idempotent and quiet when there is nothing to do:
#   1. the Debian packages in .ci/apt-packages.txt that are missing (apt-get update first, then install only those);
#   2. the local .NET tools (`dotnet tool restore`) when .config/dotnet-tools.json exists;
#   3. the `researchkit` command at .tools/researchkit (a published apphost), rebuilt when a source file is newer.
# Fails with one line naming what could not be installed; a missing tool never surfaces later as an odd test crash.
#   bash scripts/setup.sh            # all three
#   bash scripts/setup.sh --no-cli   # packages and tools only
set -euo pipefail
cd "$(dirname "$0")/.."
cli=1
for a in "$@"; do
  case "$a" in
    --no-cli) cli=0 ;;
    *) echo "setup.sh: unknown option '$a' (expected --no-cli)" >&2; exit 2 ;;
  esac
done

# --- 1. Debian packages ------------------------------------------------------------------------
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
need=()
while read -r p; do
  p="${p%%#*}"; p="${p//[[:space:]]/}"
  [ -n "$p" ] && ! installed "$p" && need+=("$p")
done < .ci/apt-packages.txt
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  # Wait for another apt/dpkg (another job on the machine) instead of failing on its lock.
  lock=(-o DPkg::Lock::Timeout=600)
  if ! $SUDO apt-get "${lock[@]}" update -qq >"$log" 2>&1 \
     || ! $SUDO apt-get "${lock[@]}" install -y -qq --no-install-recommends "${need[@]}" >>"$log" 2>&1; then
    echo "setup: apt-get could not install ${need[*]}:" >&2
    grep -E '^(E|W):' "$log" | head -n 5 >&2 || tail -n 5 "$log" >&2
    exit 1
  fi
  for p in "${need[@]}"; do installed "$p" || { echo "setup: package $p is still not installed after apt-get install" >&2; exit 1; }; done
  rm -f "$log"
fi

# --- 2. local .NET tools ----------------------------------------------------------------------
if [ -f .config/dotnet-tools.json ]; then
  out=$(dotnet tool restore 2>&1) || { echo "setup: dotnet tool restore failed:" >&2; echo "$out" | tail -n 5 >&2; exit 1; }
fi

# --- 3. the researchkit command ---------------------------------------------------------------
[ "$cli" -eq 1 ] && bash scripts/install-cli.sh --if-stale
exit 0
