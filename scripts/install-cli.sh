#!/usr/bin/env bash
# Installs the `researchkit` command at .tools/researchkit (and builds the notebooks' kit folder): a Release publish of src/ResearchKit.Cli under
# .tools/researchkit-app and a launcher that `exec`s its apphost, so the command IS the process (signals reach the
# trainer; killing it leaves no orphan, unlike a `dotnet run` wrapper). Put .tools on PATH, or call it by path.
#   bash scripts/install-cli.sh              # publish now
#   bash scripts/install-cli.sh --if-stale   # only when a source file is newer than the installed command (quiet otherwise)
set -euo pipefail
cd "$(dirname "$0")/.."
app=.tools/researchkit-app
stamp="$app/.installed"
if [ "${1:-}" = "--if-stale" ] && [ -f "$stamp" ] && [ -x .tools/researchkit ]; then
  newer=$(find src Directory.Build.props Directory.Build.targets Directory.Packages.props \
    \( -path '*/bin' -o -path '*/obj' \) -prune -o -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.txt' -o -name '*.json' \) \
    -newer "$stamp" -print -quit)
  [ -z "$newer" ] && exit 0
fi
echo "setup: publishing the researchkit command to .tools/researchkit"
log=$(mktemp)
if ! dotnet publish src/ResearchKit.Cli -c Release -o "$app/" -p:UseAppHost=true >"$log" 2>&1; then
  echo "setup: dotnet publish src/ResearchKit.Cli failed:" >&2
  grep -E 'error' "$log" | head -n 10 >&2 || tail -n 10 "$log" >&2
  exit 1
fi
# The notebooks' kit folder (src/ResearchKit.Notebooks/bin/kit, #r'd by notebooks/researchkit.dib): `researchkit notebook
# run`, dotnet-repl and VS Code load the kit from there, so it is rebuilt with the command.
if ! dotnet build src/ResearchKit.Notebooks -c Release >"$log" 2>&1; then
  echo "setup: dotnet build src/ResearchKit.Notebooks failed:" >&2
  grep -E 'error' "$log" | head -n 10 >&2 || tail -n 10 "$log" >&2
  exit 1
fi
rm -f "$log"
cat > .tools/researchkit <<'LAUNCH'
#!/bin/sh
# The researchkit command (scripts/install-cli.sh). exec: this process becomes the CLI, so signals reach it.
exec "$(dirname "$(readlink -f "$0")")/researchkit-app/ResearchKit.Cli" "$@"
LAUNCH
chmod +x .tools/researchkit
touch "$stamp"
