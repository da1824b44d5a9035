#!/usr/bin/env bash
# Stanford Online Products → $RESEARCHKIT_DATA/Stanford_Online_Products (SopLoader; Ebay_train.txt / Ebay_test.txt).
# The Stanford server is flaky: RESEARCHKIT_SOP_URL (or the older SOP_URL) points at a mirror; the MD5 is checked
# either way, unless RESEARCHKIT_SOP_SHA256 (mirror/test checksum; README.md) replaces it.
source "$(dirname "$0")/common.sh"
skip_if_complete "$DATA_ROOT/Stanford_Online_Products"
fetch "$(url_for SOP "${SOP_URL:-https://ftp.cs.stanford.edu/cs/cvgl/Stanford_Online_Products.zip}")" Stanford_Online_Products.zip
verify Stanford_Online_Products.zip 7f73d41a2f44250d4779881525aea32e SOP
extract Stanford_Online_Products.zip Stanford_Online_Products
