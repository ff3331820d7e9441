#!/usr/bin/env python3
"""phone_view.py IN.png OUT.pgm: a label PNG as a phone camera sees it, written apart from
tem's own check (label/check.c) so the two can disagree. The PNG's pixels per mm come from its
pHYs chunk; the image is area-resampled to 7 px/mm and blurred with a Gaussian of sigma 0.8 px.
Standard library only: zlib inflates the PNG's data, the filters are undone by hand."""
import math
import struct
import sys
import zlib

PX_MM, SIGMA = 7.0, 0.8


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, ppm = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"pHYs":
            px, py, unit = struct.unpack(">IIB", body)
            if unit == 1:
                ppm = px
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (0, 2) or interlace:
        sys.exit(f"{path}: only 8-bit grey or RGB, non-interlaced")
    if ppm is None:
        sys.exit(f"{path}: no pHYs chunk: its resolution is unknown")
    bpp = 3 if ctype == 2 else 1
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([sum(line[x * bpp:x * bpp + bpp]) / bpp for x in range(w)])
        prev = line
    return w, h, ppm / 1000.0, rows


def resample(v, m, scale):
    out = []
    for i in range(m):
        a, b, s = i * scale, (i + 1) * scale, 0.0
        for k in range(int(math.floor(a)), int(math.ceil(b))):
            s += (min(b, k + 1) - max(a, k)) * (v[k] if k < len(v) else 255.0)
        out.append(s / scale)
    return out


def blur(v):
    r = 3
    kern = [math.exp(-k * k / (2 * SIGMA * SIGMA)) for k in range(-r, r + 1)]
    t = sum(kern)
    kern = [k / t for k in kern]
    n = len(v)
    return [sum(kern[k + r] * v[min(max(i + k, 0), n - 1)] for k in range(-r, r + 1)) for i in range(n)]


def main():
    w, h, px_mm, rows = read_png(sys.argv[1])
    scale = px_mm / PX_MM
    dw, dh = math.ceil(w / px_mm * PX_MM - 1e-9), math.ceil(h / px_mm * PX_MM - 1e-9)
    rows = [resample(r, dw, scale) for r in rows]
    cols = [blur(resample([rows[y][x] for y in range(h)], dh, scale)) for x in range(dw)]
    out = [[cols[x][y] for x in range(dw)] for y in range(dh)]
    out = [blur(r) for r in out]
    with open(sys.argv[2], "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (dw, dh))
        f.write(bytes(min(255, max(0, int(v + 0.5))) for r in out for v in r))


main()
