#!/usr/bin/env bash
# Cars-196 → $RESEARCHKIT_DATA/cars196 (CarsLoader; classes 1-98 train, 99-196 test). Two sources:
#   get-cars.sh            official car_ims.tgz + cars_annos.mat. The Stanford URLs are dead (spec/data.md §4.2):
#                          put both files into $RESEARCHKIT_DATA/downloads/ or set CARS_URL_BASE to a mirror.
#                          cars_annos.mat is converted to cars_annos.csv with python3 + scipy.
#   get-cars.sh --kaggle   Kaggle jutrera/stanford-car-dataset-by-classes-folder (needs the kaggle CLI and a token);
#                          also builds images/<Class>/ (train+test merged, as the PRISM lists expect; a test file
#                          whose name collides with a train file of its class gets the suffix _2).
source "$(dirname "$0")/common.sh"
target="$DATA_ROOT/cars196"
if [ "${1:-}" = "--kaggle" ]; then
  command -v kaggle >/dev/null || die "the kaggle CLI is required (pip install kaggle; token in ~/.kaggle/kaggle.json)"
  if [ ! -f "$DOWNLOADS/stanford-car-dataset-by-classes-folder.zip" ]; then
    kaggle datasets download -d jutrera/stanford-car-dataset-by-classes-folder -p "$DOWNLOADS" \
      || die "kaggle download failed (network unavailable or no token)"
  fi
  verify stanford-car-dataset-by-classes-folder.zip
  [ -f "$target/.complete" ] && { info "already extracted: $target"; exit 0; }
  tmp=$(mktemp -d "$DATA_ROOT/.extract-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/cars196"
  unzip -q "$DOWNLOADS/stanford-car-dataset-by-classes-folder.zip" -d "$tmp/cars196"
  [ -d "$tmp/cars196/car_data/car_data/train" ] || die "unexpected Kaggle archive layout (no car_data/car_data/train)"
  [ -f "$tmp/cars196/names.csv" ] || die "unexpected Kaggle archive layout (no names.csv)"
  for split in train test; do
    for cls in "$tmp/cars196/car_data/car_data/$split"/*/; do
      name=$(basename "$cls"); mkdir -p "$tmp/cars196/images/$name"
      for f in "$cls"*.jpg; do
        dest="$tmp/cars196/images/$name/$(basename "$f")"
        [ -e "$dest" ] && dest="${dest%.jpg}_2.jpg"
        ln "$f" "$dest" 2>/dev/null || cp "$f" "$dest"
      done
    done
  done
  # CarsLoader reads either images/ or car_data/; keep only the merged class folders to avoid counting twice.
  rm -rf "$tmp/cars196/car_data"
  rm -rf "$target"; mv "$tmp/cars196" "$target"; touch "$target/.complete"; trap - EXIT
  info "ready: $target"
  exit 0
fi
base="${CARS_URL_BASE:-http://imagenet.stanford.edu/internal/car196}"
fetch "$base/car_ims.tgz" car_ims.tgz
fetch "$base/cars_annos.mat" cars_annos.mat
verify car_ims.tgz d5c8f0aa497503f355e17dc7886c3f14
verify cars_annos.mat b407c6086d669747186bd1d764ff9dbc
[ -f "$target/.complete" ] && { info "already extracted: $target"; exit 0; }
python3 -c "import scipy.io" 2>/dev/null || die "converting cars_annos.mat needs python3 with scipy (apt-get install python3-scipy)"
tmp=$(mktemp -d "$DATA_ROOT/.extract-XXXXXX"); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cars196"
tar -xzf "$DOWNLOADS/car_ims.tgz" -C "$tmp/cars196"
[ -d "$tmp/cars196/car_ims" ] || die "car_ims.tgz does not contain car_ims/"
python3 - "$DOWNLOADS/cars_annos.mat" "$tmp/cars196/cars_annos.csv" <<'PY'
import sys, scipy.io
annos = scipy.io.loadmat(sys.argv[1], squeeze_me=True)["annotations"]
with open(sys.argv[2], "w") as f:
    f.write("relative_im_path,class\n")
    for a in annos:
        f.write(f"{a['relative_im_path']},{int(a['class'])}\n")
PY
[ "$(wc -l < "$tmp/cars196/cars_annos.csv")" -eq 16186 ] || die "cars_annos.mat did not give 16,185 annotations"
rm -rf "$target"; mv "$tmp/cars196" "$target"; touch "$target/.complete"; trap - EXIT
info "ready: $target"
