#!/usr/bin/env bash
# Shared by the get-*.sh scripts: resumable download, checksum verification, atomic extraction.
# Layout: $RESEARCHKIT_DATA (default ~/.researchkit/data)/{downloads/, <data set folder>/, checksums.sha256}.
set -euo pipefail

DATA_ROOT="${RESEARCHKIT_DATA:-$HOME/.researchkit/data}"
DOWNLOADS="$DATA_ROOT/downloads"
SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PINNED="$SCRIPTS_DIR/checksums.sha256"     # SHA-256 pinned in the repository ("<sha256>  <file>")
LOCAL_PINS="$DATA_ROOT/checksums.sha256"   # SHA-256 recorded on the first verified download (trust on first use)
mkdir -p "$DOWNLOADS"

die() { echo "error: $*" >&2; exit 1; }
info() { echo "[$(basename "$0")] $*"; }

# fetch URL FILE: download into $DOWNLOADS/FILE, resuming a partial FILE.part; no-op when FILE exists.
fetch() {
  local url="$1" file="$2" out="$DOWNLOADS/$2"
  [ -f "$out" ] && { info "have $file"; return 0; }
  command -v curl >/dev/null || die "curl is required (apt-get install curl)"
  info "downloading $url"
  local rc=0
  curl -fL --retry 3 --retry-delay 2 --connect-timeout 20 -C - -o "$out.part" "$url" || rc=$?
  case $rc in
    0) mv "$out.part" "$out" ;;
    6|7|28|35|56) die "network unavailable or host unreachable for $url (curl exit $rc); rerun to resume from $out.part" ;;
    22) rm -f "$out.part"; die "the server refused $url (HTTP error); the URL may be dead, see data-scripts/README.md" ;;
    *) die "download of $url failed (curl exit $rc); rerun to resume from $out.part" ;;
  esac
}

# verify FILE [MD5]: check the published MD5 (when known) and the SHA-256 (pinned, or recorded on first use).
# A mismatching file is deleted, so a rerun downloads it again.
verify() {
  local file="$1" md5="${2:-}" path="$DOWNLOADS/$1"
  [ -f "$path" ] || die "$path is missing"
  if [ -n "$md5" ]; then
    local got; got=$(md5sum "$path" | cut -d' ' -f1)
    if [ "$got" != "$md5" ]; then rm -f "$path"; die "MD5 mismatch for $file: expected $md5, got $got (file deleted; rerun to download again)"; fi
  fi
  local sha; sha=$(sha256sum "$path" | cut -d' ' -f1)
  local pinned; pinned=$(cat "$PINNED" "$LOCAL_PINS" 2>/dev/null | awk -v f="$file" '$2 == f { print $1; exit }')
  if [ -n "$pinned" ]; then
    if [ "$sha" != "$pinned" ]; then rm -f "$path"; die "SHA-256 mismatch for $file: expected $pinned, got $sha (file deleted; rerun to download again)"; fi
    info "verified $file (sha256 $sha)"
  else
    [ -n "$md5" ] || info "warning: no published checksum for $file; recording its SHA-256 on first use"
    echo "$sha  $file" >> "$LOCAL_PINS"
    info "verified $file${md5:+ (md5)}; recorded sha256 $sha in $LOCAL_PINS (copy it into data-scripts/checksums.sha256 to pin it)"
  fi
}

# extract ARCHIVE TOPDIR [TARGET]: unpack $DOWNLOADS/ARCHIVE into a temporary folder and move TOPDIR into
# $DATA_ROOT/TARGET only when complete (marker file .complete), so nothing half-extracted is ever left behind.
extract() {
  local archive="$DOWNLOADS/$1" top="$2" target="$DATA_ROOT/${3:-$2}"
  [ -f "$target/.complete" ] && { info "already extracted: $target"; return 0; }
  local tmp; tmp=$(mktemp -d "$DATA_ROOT/.extract-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  info "extracting $1"
  case "$archive" in
    *.tgz|*.tar.gz) tar -xzf "$archive" -C "$tmp" ;;
    *.tar) tar -xf "$archive" -C "$tmp" ;;
    *.zip) command -v unzip >/dev/null || die "unzip is required (apt-get install unzip)"; unzip -q "$archive" -d "$tmp" ;;
    *) die "unknown archive type: $archive" ;;
  esac
  [ -d "$tmp/$top" ] || die "$1 does not contain $top/ (corrupt or unexpected archive)"
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$tmp/$top" "$target"
  touch "$target/.complete"
  rm -rf "$tmp"; trap - EXIT
  info "ready: $target"
}
