#!/usr/bin/env bash
# Shared by the get-*.sh scripts: resumable download, checksum verification, atomic extraction.
# Layout: $RESEARCHKIT_DATA (default ~/.researchkit/data)/{downloads/, <data set folder>/, checksums.sha256}.
# Overrides (README.md): RESEARCHKIT_<KEY>_URL replaces a source URL (mirrors; tests use file:// URLs);
# RESEARCHKIT_<KEY>_SHA256 replaces the expected checksum (mirrors that repackage, and tests only).
set -euo pipefail

DATA_ROOT="${RESEARCHKIT_DATA:-$HOME/.researchkit/data}"
DOWNLOADS="$DATA_ROOT/downloads"
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PINNED="$SCRIPTS_DIR/checksums.sha256"     # SHA-256 pinned in the repository ("<sha256>  <file>")
LOCAL_PINS="$DATA_ROOT/checksums.sha256"   # SHA-256 recorded on the first verified download (trust on first use)
mkdir -p "$DOWNLOADS"
declare -A VERIFIED=()                     # file → SHA-256 verified in this run (written into the .complete marker)

die() { echo "error: $*" >&2; exit 1; }
info() { echo "[$(basename "$0")] $*"; }

# url_for KEY DEFAULT: $RESEARCHKIT_<KEY>_URL when set, else DEFAULT.
url_for() { local var="RESEARCHKIT_$1_URL"; echo "${!var:-$2}"; }

# skip_if_complete TARGET: an earlier run extracted TARGET completely, so touch neither the network nor the archive.
skip_if_complete() {
  [ -f "$1/.complete" ] || return 0
  info "already extracted: $1 (nothing downloaded or extracted; delete the folder to start over)"
  exit 0
}

# fetch URL FILE [optional]: download into $DOWNLOADS/FILE, resuming a partial FILE.part; no-op when FILE exists.
# With "optional", a source that does not exist (HTTP error, missing file://) returns 2 instead of failing.
fetch() {
  local url="$1" file="$2" optional="${3:-}" out="$DOWNLOADS/$2"
  [ -f "$out" ] && { info "have $file (downloaded earlier)"; return 0; }
  command -v curl >/dev/null || die "curl is required (apt-get install curl)"
  [ -s "$out.part" ] && info "resuming $file from byte $(stat -c %s "$out.part") of an interrupted download"
  info "downloading $url"
  local rc=0 progress=(-sS)
  [ -t 2 ] && progress=(--progress-bar)
  curl "${progress[@]}" -fL --retry 3 --retry-delay 2 --connect-timeout 20 -C - -o "$out.part" "$url" || rc=$?
  [ -f "$out.part" ] && [ ! -s "$out.part" ] && rm -f "$out.part"   # nothing received: nothing to resume
  local resume=""
  [ -s "$out.part" ] && resume="; rerun to resume from $out.part"
  case $rc in
    0) mv "$out.part" "$out" ;;
    5|6|7|28|35|52|56) die "network unavailable or host unreachable: cannot download $file from $url (curl exit $rc)$resume" ;;
    22|37)
      rm -f "$out.part"
      [ "$optional" = optional ] && return 2
      die "source not found: $url (curl exit $rc: HTTP error or missing file) for $file; the URL may be dead: see data-scripts/README.md for mirrors (RESEARCHKIT_*_URL)" ;;
    *) die "download of $file from $url failed (curl exit $rc)$resume" ;;
  esac
}

# pinned_sha FILE: the SHA-256 pinned in the repository, else the one recorded on first use (empty when neither).
pinned_sha() {
  local list sha
  for list in "$PINNED" "$LOCAL_PINS"; do
    [ -f "$list" ] || continue
    sha=$(awk -v f="$1" '{ n = $2; sub(/^\*/, "", n) } n == f { print tolower($1); exit }' "$list")
    if [ -n "$sha" ]; then echo "$sha"; return 0; fi
  done
  return 0
}

# reject FILE MESSAGE: delete the bad download (a rerun fetches it again) and fail.
reject() { rm -f "$DOWNLOADS/$1"; die "$2 (file $DOWNLOADS/$1 deleted; rerun to download it again)"; }

# verify FILE [MD5] [KEY]: check FILE against $RESEARCHKIT_<KEY>_SHA256 when that override is set; otherwise against
# the published MD5 (when known) and the SHA-256 pinned in the repository or recorded on first use.
verify() {
  local file="$1" md5="${2:-}" key="${3:-}" path="$DOWNLOADS/$1"
  [ -f "$path" ] || die "$path is missing"
  local sha; sha=$(sha256sum "$path" | cut -d' ' -f1)
  local var="RESEARCHKIT_${key:-NONE}_SHA256"
  local override="${!var:-}"
  if [ -n "$key" ] && [ -n "$override" ]; then
    info "checking $file against \$$var (mirror/test override: the published MD5 and the pinned SHA-256 are not used)"
    [ "$sha" = "${override,,}" ] || reject "$file" "checksum mismatch for $file: SHA-256 expected $override (\$$var), got $sha"
    info "verified $file (sha256 $sha)"
  else
    if [ -n "$md5" ]; then
      local got; got=$(md5sum "$path" | cut -d' ' -f1)
      [ "$got" = "$md5" ] || reject "$file" "checksum mismatch for $file: MD5 expected $md5, got $got"
    fi
    local pinned; pinned=$(pinned_sha "$file")
    if [ -n "$pinned" ]; then
      [ "$sha" = "$pinned" ] || reject "$file" "checksum mismatch for $file: SHA-256 expected $pinned, got $sha"
      info "verified $file (sha256 $sha)"
    else
      [ -n "$md5" ] || info "warning: no published checksum for $file: its SHA-256 is recorded now and checked on later downloads (trust on first use)"
      echo "$sha  $file" >> "$LOCAL_PINS"
      info "verified $file${md5:+ (md5 $md5)}; recorded sha256 $sha in $LOCAL_PINS (copy the line into data-scripts/checksums.sha256 to pin it for everyone)"
    fi
  fi
  VERIFIED[$file]=$sha
}

# marker FOLDER FILE...: write FOLDER/.complete, recording the SHA-256 of the archives it was built from.
marker() {
  local folder="$1" f; shift
  {
    echo "# complete $(date -u +%Y-%m-%dT%H:%M:%SZ): extracted from these verified downloads"
    for f in "$@"; do echo "${VERIFIED[$f]:-$(sha256sum "$DOWNLOADS/$f" | cut -d' ' -f1)}  $f"; done
  } > "$folder/.complete"
}

# stage: a temporary folder under the data root, removed on exit unless moved into place.
stage() {
  STAGE=$(mktemp -d "$DATA_ROOT/.extract-XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
}

# publish STAGED TARGET ARCHIVE...: mark STAGED complete and move it to TARGET in one rename, so a data set folder
# only ever appears whole.
publish() {
  local staged="$1" target="$2"; shift 2
  marker "$staged" "$@"
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$staged" "$target"
  rm -rf "$STAGE"; trap - EXIT
  info "ready: $target"
}

# unpack ARCHIVE DIR: extract $DOWNLOADS/ARCHIVE into DIR.
unpack() {
  local archive="$DOWNLOADS/$1"
  info "extracting $1"
  case "$archive" in
    *.tgz|*.tar.gz) tar -xzf "$archive" -C "$2" || die "cannot extract $1 (corrupt archive?): delete $archive and rerun" ;;
    *.tar) tar -xf "$archive" -C "$2" || die "cannot extract $1 (corrupt archive?): delete $archive and rerun" ;;
    *.zip)
      command -v unzip >/dev/null || die "unzip is required (apt-get install unzip)"
      unzip -q "$archive" -d "$2" || die "cannot extract $1 (corrupt archive?): delete $archive and rerun" ;;
    *) die "unknown archive type: $archive" ;;
  esac
}

# extract ARCHIVE TOPDIR [TARGET]: unpack $DOWNLOADS/ARCHIVE into a temporary folder and move TOPDIR into
# $DATA_ROOT/TARGET only when complete (marker file .complete), so nothing half-extracted is ever left behind.
extract() {
  local top="$2" target="$DATA_ROOT/${3:-$2}"
  [ -f "$target/.complete" ] && { info "already extracted: $target"; return 0; }
  stage
  unpack "$1" "$STAGE"
  [ -d "$STAGE/$top" ] || die "$1 does not contain $top/ (corrupt or unexpected archive)"
  publish "$STAGE/$top" "$target" "$1"
}
