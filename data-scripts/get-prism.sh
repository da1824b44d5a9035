#!/usr/bin/env bash
# PRISM noisy-label lists (alibaba-edu/Ranking-based-Instance-Selection, MIT, folder datalist/) →
# $RESEARCHKIT_DATA/prism/datalist/*.csv. Paths inside start with /data/: PrismLists maps that to the data root.
# The files are fetched at run time and never committed. No published checksums: SHA-256 recorded on first use.
source "$(dirname "$0")/common.sh"
repo="https://raw.githubusercontent.com/alibaba-edu/Ranking-based-Instance-Selection"
dest="$DATA_ROOT/prism/datalist"; mkdir -p "$dest"
files=()
for ds in CUB CARS SOP; do
  files+=("${ds}_train.csv" "${ds}_test.csv")
  for r in 0.1 0.2 0.5; do files+=("${ds}_${r}noised_train.csv" "${ds}_${r}noised_cleaned_train.csv"); done
  for r in 0.25 0.5; do files+=("${ds}_${r}smallclusternoised_train.csv" "${ds}_${r}smallclusternoised_cleaned_train.csv"); done
done
files+=(CARSN_train.csv CARSN_test.csv)
branch=""
for b in main master; do
  if curl -fsI --connect-timeout 20 "$repo/$b/datalist/CUB_train.csv" >/dev/null 2>&1; then branch=$b; break; fi
done
[ -n "$branch" ] || die "cannot reach $repo (network unavailable?)"
for f in "${files[@]}"; do
  [ -f "$dest/$f" ] && continue
  if ! curl -fsI --connect-timeout 20 "$repo/$branch/datalist/$f" >/dev/null 2>&1; then info "not published: $f (skipped)"; continue; fi
  fetch "$repo/$branch/datalist/$f" "prism-$f"
  verify "prism-$f"
  cp "$DOWNLOADS/prism-$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
info "ready: $dest ($(ls "$dest" | wc -l) lists)"
