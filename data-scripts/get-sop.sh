#!/usr/bin/env bash
# Stanford Online Products → $RESEARCHKIT_DATA/Stanford_Online_Products (SopLoader; Ebay_train.txt / Ebay_test.txt).
# The Stanford server is flaky; SOP_URL overrides the address (e.g. a mirror). The MD5 is checked either way.
source "$(dirname "$0")/common.sh"
fetch "${SOP_URL:-https://ftp.cs.stanford.edu/cs/cvgl/Stanford_Online_Products.zip}" Stanford_Online_Products.zip
verify Stanford_Online_Products.zip 7f73d41a2f44250d4779881525aea32e
extract Stanford_Online_Products.zip Stanford_Online_Products
