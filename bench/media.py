"""`openpost bench media`: peak memory of one upload check and one conversion at the limits.

Each case runs in a fresh process that first loads its libraries and reads its input, then
resets the kernel's peak-RSS mark (/proc/self/clear_refs, Linux) and runs the case once:
`peak_mb` is the memory the case added on top of that process. Inputs: a one-colour RGBA PNG
and an RGB JPEG at the pixel limit (decoding costs the same whatever the colours), the
13000×13000 PNG bomb, and a 1-second 4096×4096 MPEG-4 video (the frame-size limit), stored
encrypted as uploads are.
"""

from __future__ import annotations

import base64
import json
import math
import os
import secrets
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from fractions import Fraction
from pathlib import Path

from app import config

CASES = {
    # case: (input file, what it does)
    "image_upload_check": ("limit.png", "probe"),
    "image_bomb_refused": ("bomb.png", "probe"),
    "image_conversion": ("limit.png", "facebook"),  # RGBA resized, kept PNG: the worst case
    "jpeg_conversion": ("limit.jpg", "instagram"),
    "video_upload_check": ("limit.mp4", "probe"),
    "video_conversion": ("limit.mp4", "tiktok"),
}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _run_case(case: str, workdir: Path) -> dict:
    """In the child: one case, measured."""
    from app.errors import ValidationFailed
    from app.media import convert, sniff, specs, storage

    name, action = CASES[case]
    backend = storage.LocalStorage(workdir / "media")
    data = (workdir / name).read_bytes() if action == "probe" else None
    sniff.probe((workdir / "tiny.png").read_bytes())  # libraries loaded before measuring
    Path("/proc/self/clear_refs").write_text("5")
    base, started, outcome = _status_mb("VmRSS"), time.perf_counter(), "ok"
    try:
        if action == "probe":
            sniff.probe(data)
        else:
            original = backend.get("bench", name)  # as the worker does: decrypt, convert, store
            if not name.endswith(".mp4"):
                out, _ = convert.image_for(original, specs.IMAGES[action], action)
                backend.put("bench", f"{name}.{action}", out)
            else:
                with tempfile.TemporaryFile() as out:
                    convert.video_into(original, sniff.probe(original), specs.VIDEOS[action],
                                       action, None, out)
                    out.seek(0)
                    backend.put_file("bench", f"{name}.{action}", out)
    except ValidationFailed as exc:
        outcome = f"refused: {exc.message}"
    return {"case": case, "peak_mb": round(_status_mb("VmHWM") - base, 1),
            "seconds": round(time.perf_counter() - started, 2), "outcome": outcome}


def flat_png(width: int, height: int) -> bytes:
    """A one-colour PNG (1-bit greyscale) of any size, a few KB, made without drawing it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    rows = (b"\x00" + bytes((width + 7) // 8)) * 64
    packer = zlib.compressobj(9)
    body = b"".join([packer.compress(rows) for _ in range(height // 64)]
                    + [packer.compress(rows[:len(rows) // 64 * (height % 64)]), packer.flush()])
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
            + chunk(b"IEND", b""))


def _video(path: Path, side: int, frames: int, fps: int = 25) -> None:
    """MPEG-4 at side×side, a noise pattern drifting across (so every frame costs work)."""
    import av
    from PIL import Image, ImageChops

    base = Image.effect_noise((side, side), 40).convert("RGB")
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=Fraction(fps))
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_image(ImageChops.offset(base, i * 16, i * 8))
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _inputs(workdir: Path) -> dict:
    """Write the inputs (plain for upload checks, stored encrypted for conversions)."""
    from PIL import Image

    from app import config
    from app.media import storage

    side = math.isqrt(config.max_image_pixels())
    Image.new("RGBA", (side, side), (200, 80, 40, 255)).save(workdir / "limit.png")
    Image.new("RGB", (side, side), (200, 80, 40)).save(workdir / "limit.jpg", quality=90)
    Image.new("RGB", (8, 8)).save(workdir / "tiny.png")
    (workdir / "bomb.png").write_bytes(flat_png(13000, 13000))
    _video(workdir / "limit.mp4", 4096, 25)
    backend = storage.LocalStorage(workdir / "media")
    for name in ("limit.png", "limit.jpg", "limit.mp4"):
        backend.put("bench", name, (workdir / name).read_bytes())
    return {"image_pixels": f"{side}x{side}", "video": "4096x4096, 1 s, 25 fps, MPEG-4",
            "bytes": {p.name: p.stat().st_size for p in workdir.iterdir() if p.is_file()}}


def main() -> None:
    env = dict(os.environ, OPENPOST_ENCRYPTION_KEYS=config.settings().encryption_keys
               or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    os.environ.update(env)
    with tempfile.TemporaryDirectory(prefix="openpost-bench-media-") as tmp:
        workdir = Path(tmp)
        report = {"bench": "media", **_inputs(workdir)}
        for case in CASES:
            done = subprocess.run([sys.executable, "-m", "bench.media", case, tmp],  # noqa: S603
                                  env=env, capture_output=True, text=True, check=True)
            found = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps(found), flush=True)
            report[case] = {k: v for k, v in found.items() if k != "case"}
    print(json.dumps(report))


if __name__ == "__main__":
    print(json.dumps(_run_case(sys.argv[1], Path(sys.argv[2]))))
