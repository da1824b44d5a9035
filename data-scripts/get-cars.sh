#!/usr/bin/env bash
# Cars-196 → $RESEARCHKIT_DATA/cars196 (CarsLoader; classes 1-98 train, 99-196 test). Two sources:
#   get-cars.sh            official car_ims.tgz + cars_annos.mat. The Stanford URLs are dead (spec/data.md §4.2):
#                          put both files into $RESEARCHKIT_DATA/downloads/, or point RESEARCHKIT_CARS_URL_BASE
#                          (or the older CARS_URL_BASE) at a mirror holding both, or RESEARCHKIT_CARS_IMS_URL and
#                          RESEARCHKIT_CARS_ANNOS_URL at each. cars_annos.mat is converted to cars_annos.csv with
#                          python3 + scipy.
#   get-cars.sh --kaggle   Kaggle jutrera/stanford-car-dataset-by-classes-folder: through the kaggle CLI (needs a
#                          token), or from RESEARCHKIT_CARS_KAGGLE_URL (a copy of that zip). Builds images/<Class>/
#                          (train+test merged, as the PRISM lists expect; a test file whose name collides with a
#                          train file of its class gets the suffix _2).
# Checksum overrides (mirror/test only; README.md): RESEARCHKIT_CARS_IMS_SHA256, RESEARCHKIT_CARS_ANNOS_SHA256,
# RESEARCHKIT_CARS_KAGGLE_SHA256.
source "$(dirname "$0")/common.sh"
target="$DATA_ROOT/cars196"
skip_if_complete "$target"
if [ "${1:-}" = "--kaggle" ]; then
  zip=stanford-car-dataset-by-classes-folder.zip
  if [ -n "${RESEARCHKIT_CARS_KAGGLE_URL:-}" ]; then
    fetch "$RESEARCHKIT_CARS_KAGGLE_URL" "$zip"
  elif [ ! -f "$DOWNLOADS/$zip" ]; then
    command -v kaggle >/dev/null || die "the kaggle CLI is required (pip install kaggle; token in ~/.kaggle/kaggle.json), or set RESEARCHKIT_CARS_KAGGLE_URL to a copy of $zip"
    kaggle datasets download -d jutrera/stanford-car-dataset-by-classes-folder -p "$DOWNLOADS" \
      || die "kaggle download failed (network unavailable or no token)"
  fi
  # No published checksum: the SHA-256 is recorded on first use (README.md).
  verify "$zip" "" CARS_KAGGLE
  stage
  mkdir -p "$STAGE/cars196"
  unpack "$zip" "$STAGE/cars196"
  [ -d "$STAGE/cars196/car_data/car_data/train" ] || die "$zip: unexpected layout (no car_data/car_data/train/)"
  [ -d "$STAGE/cars196/car_data/car_data/test" ] || die "$zip: unexpected layout (no car_data/car_data/test/)"
  [ -f "$STAGE/cars196/names.csv" ] || die "$zip: unexpected layout (no names.csv)"
  shopt -s nullglob
  for split in train test; do
    for cls in "$STAGE/cars196/car_data/car_data/$split"/*/; do
      name=$(basename "$cls"); mkdir -p "$STAGE/cars196/images/$name"
      for f in "$cls"*.jpg; do
        dest="$STAGE/cars196/images/$name/$(basename "$f")"
        if [ -e "$dest" ]; then dest="${dest%.jpg}_2.jpg"; fi
        ln "$f" "$dest" 2>/dev/null || cp "$f" "$dest"
      done
    done
  done
  # CarsLoader reads either images/ or car_data/; keep only the merged class folders to avoid counting twice.
  rm -rf "$STAGE/cars196/car_data"
  publish "$STAGE/cars196" "$target" "$zip"
  exit 0
fi
# Checked before downloading 1.9 GB that could not be used.
python3 -c "import scipy.io" 2>/dev/null || die "converting cars_annos.mat needs python3 with scipy (apt-get install python3-scipy)"
base="${RESEARCHKIT_CARS_URL_BASE:-${CARS_URL_BASE:-http://imagenet.stanford.edu/internal/car196}}"
fetch "$(url_for CARS_IMS "$base/car_ims.tgz")" car_ims.tgz
fetch "$(url_for CARS_ANNOS "$base/cars_annos.mat")" cars_annos.mat
verify car_ims.tgz d5c8f0aa497503f355e17dc7886c3f14 CARS_IMS
verify cars_annos.mat b407c6086d669747186bd1d764ff9dbc CARS_ANNOS
stage
mkdir -p "$STAGE/cars196"
unpack car_ims.tgz "$STAGE/cars196"
[ -d "$STAGE/cars196/car_ims" ] || die "car_ims.tgz does not contain car_ims/"
python3 - "$DOWNLOADS/cars_annos.mat" "$STAGE/cars196/cars_annos.csv" <<'PY' || die "cannot convert cars_annos.mat (corrupt file?)"
import sys, scipy.io
annos = scipy.io.loadmat(sys.argv[1], squeeze_me=True)["annotations"]
with open(sys.argv[2], "w") as f:
    f.write("relative_im_path,class\n")
    for a in annos:
        f.write(f"{a['relative_im_path']},{int(a['class'])}\n")
PY
[ "$(wc -l < "$STAGE/cars196/cars_annos.csv")" -eq 16186 ] || die "cars_annos.mat did not give 16,185 annotations"
publish "$STAGE/cars196" "$target" car_ims.tgz cars_annos.mat
