#!/usr/bin/env bash
# CUB-200-2011 → $RESEARCHKIT_DATA/CUB_200_2011 (CubLoader; classes 1-100 train, 101-200 test).
# Overrides: RESEARCHKIT_CUB_URL (mirror), RESEARCHKIT_CUB_SHA256 (mirror/test checksum; README.md).
source "$(dirname "$0")/common.sh"
skip_if_complete "$DATA_ROOT/CUB_200_2011"
fetch "$(url_for CUB https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz)" CUB_200_2011.tgz
verify CUB_200_2011.tgz 97eceeb196236b17998738112f37df78 CUB
extract CUB_200_2011.tgz CUB_200_2011
