"""Media made on the spot: images with Pillow, videos with PyAV."""

import io
import struct
import zlib
from fractions import Fraction


def jpeg(width=640, height=480, noise=False, exif_gps=False, fmt="JPEG") -> bytes:
    from PIL import Image

    if noise:
        import os
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        img = Image.new("RGB", (width, height), (200, 80, 40))
    buf = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SpyCam"  # Make
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS info
        kwargs["exif"] = exif
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def video(seconds=1.0, fps=25, size=(160, 120), codec="mpeg4", audio=False,
          fmt="mp4") -> bytes:
    import av
    from PIL import Image

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=Fraction(fps))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        astream = out.add_stream("aac", rate=48000) if audio else None
        for i in range(int(seconds * fps)):
            shade = (i * 7) % 255
            frame = av.VideoFrame.from_image(Image.new("RGB", size, (shade, 90, 255 - shade)))
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if astream:
            for i in range(int(seconds * 48000 / 1024)):
                frame = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for plane in frame.planes:
                    plane.update(bytes(plane.buffer_size))
                frame.sample_rate, frame.pts = 48000, i * 1024
                out.mux(astream.encode(frame))
            out.mux(astream.encode(None))
    return buf.getvalue()


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
