"""Media made on the spot: images with Pillow, videos with PyAV."""

import io
from fractions import Fraction

from bench.media import flat_png  # noqa: F401 (the tests' image bombs)


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

