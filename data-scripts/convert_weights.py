#!/usr/bin/env python3
"""Convert a PyTorch checkpoint (.pth / .pt) into a safetensors file that ResearchKit reads.

Uses only torch, numpy, json and struct (no `safetensors` package needed). Not run by the kit's CI: run it on a
machine with Python + torch, then copy the .safetensors file to the kit machine (see docs/pretrained-weights.md).

    # BN-Inception as used by Proxy-Anchor / CP (Cadene's weights):
    python convert_weights.py bn_inception-52deb4733.pth bn_inception.safetensors
    # torchvision ResNet-50:
    python convert_weights.py resnet50-19c8e357.pth resnet50.tv_in1k.safetensors

The file keeps the original keys and shapes (e.g. BN-Inception's (1, C) BatchNorm vectors and the classifier);
ResearchKit's BackboneSpec key maps drop the classifier and squeeze the (1, C) vectors when loading.
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu", weights_only=False)  # legacy pickles (Cadene) need weights_only=False
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        sys.exit(f"{path}: expected a state dict, got {type(obj).__name__}")
    # DataParallel prefixes
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in obj.items() if torch.is_tensor(v)}


def to_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    arr = t.numpy()
    return arr.astype(arr.dtype.newbyteorder("<")).tobytes()


def write_safetensors(tensors, path, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in DTYPES:
            sys.exit(f"{name}: unsupported dtype {t.dtype}")
        data = to_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # 8-byte alignment of the data section
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for data in blobs:
            f.write(data)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help=".pth/.pt file holding a state dict or a module")
    p.add_argument("target", help="output .safetensors file")
    p.add_argument("--drop-prefix", action="append", default=[], help="drop keys with this prefix (repeatable), e.g. fc.")
    p.add_argument("--float32", action="store_true", help="convert floating tensors to float32")
    a = p.parse_args()
    sd = load_state_dict(a.source)
    sd = {k: v for k, v in sd.items() if not any(k.startswith(d) for d in a.drop_prefix)}
    if a.float32:
        sd = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
    write_safetensors(sd, a.target, {"format": "pt", "source": a.source})
    n = sum(v.numel() for k, v in sd.items() if v.is_floating_point())
    print(f"wrote {len(sd)} tensors ({n:,} floating-point values) to {a.target}")


if __name__ == "__main__":
    main()
