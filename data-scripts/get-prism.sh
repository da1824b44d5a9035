#!/usr/bin/env bash
# PRISM noisy-label lists (alibaba-edu/Ranking-based-Instance-Selection, MIT, folder datalist/) →
# $RESEARCHKIT_DATA/prism/datalist/*.csv. Paths inside start with /data/: PrismLists maps that to the data root.
# The files are fetched at run time from a pinned commit and never committed. No checksums are published:
# each list's SHA-256 is recorded on first use in $RESEARCHKIT_DATA/checksums.sha256 and checked on later
# downloads (trust on first use). A rerun with every list present does not touch the network.
# Overrides: RESEARCHKIT_PRISM_COMMIT (another commit), RESEARCHKIT_PRISM_URL (the datalist/ folder of a mirror).
source "$(dirname "$0")/common.sh"
commit="${RESEARCHKIT_PRISM_COMMIT:-138aa7303910d8ad1d57deb3907abc2119f8df5f}"
base="$(url_for PRISM "https://raw.githubusercontent.com/alibaba-edu/Ranking-based-Instance-Selection/$commit/datalist")"
dest="$DATA_ROOT/prism/datalist"; mkdir -p "$dest"
unpublished="$dest/.unpublished"   # lists the source does not have: not asked for again
files=()
for ds in CUB CARS SOP; do
  files+=("${ds}_train.csv" "${ds}_test.csv")
  for r in 0.1 0.2 0.5; do files+=("${ds}_${r}noised_train.csv" "${ds}_${r}noised_cleaned_train.csv"); done
  for r in 0.25 0.5; do files+=("${ds}_${r}smallclusternoised_train.csv" "${ds}_${r}smallclusternoised_cleaned_train.csv"); done
done
files+=(CARSN_train.csv CARSN_test.csv)
missing=()
for f in "${files[@]}"; do
  [ -f "$dest/$f" ] && continue
  [ -f "$unpublished" ] && grep -qxF "$f" "$unpublished" && continue
  missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then
  info "all lists present in $dest (nothing downloaded)"
  exit 0
fi
info "no published checksums for the PRISM lists: SHA-256 recorded on first use, checked on later downloads"
for f in "${missing[@]}"; do
  rc=0; fetch "$base/$f" "prism-$f" optional || rc=$?
  if [ $rc -eq 2 ]; then echo "$f" >> "$unpublished"; info "not published at $base: $f (skipped)"; continue; fi
  verify "prism-$f"
  cp "$DOWNLOADS/prism-$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
info "ready: $dest ($(find "$dest" -maxdepth 1 -name '*.csv' | wc -l) lists)"
