"""The fake's Page video upload (upload_phase start, transfer, finish) follows the Graph docs."""

from __future__ import annotations

from app.platforms.graph import VERSION


def _videos(p, token: str, files=None, **form):
    return p.http.post(f"{p.sandbox.url}/facebook/{VERSION}/{p.settings['page_id']}/videos",
                       data={"access_token": token, **form}, files=files)


def test_page_video_upload_needs_the_page_token_and_exact_chunks(social):
    p = social("facebook")
    p.configure(video_chunk_bytes=4)
    user = _videos(p, p.credentials["user_access_token"], upload_phase="start", file_size=6)
    assert user.status_code == 403 and user.json()["error"]["code"] == 200
    started = _videos(p, p.token, upload_phase="start", file_size=6).json()
    assert (started["start_offset"], started["end_offset"]) == ("0", "4")
    session = started["upload_session_id"]
    early = _videos(p, p.token, upload_phase="finish", upload_session_id=session)
    assert early.status_code == 400, "not every byte has arrived"
    wrong = _videos(p, p.token, {"video_file_chunk": ("c", b"abcd")}, upload_phase="transfer",
                    upload_session_id=session, start_offset=4)
    assert wrong.status_code == 400
    error = wrong.json()["error"]
    assert error["error_subcode"] == 1363037, "Meta's answer to a chunk from the wrong offset"
    assert error["error_data"] == {"start_offset": 0, "end_offset": 4}, "the chunk it waits for"
    for start, chunk in ((0, b"abcd"), (4, b"ef")):
        sent = _videos(p, p.token, {"video_file_chunk": ("c", chunk)}, upload_phase="transfer",
                       upload_session_id=session, start_offset=start).json()
    assert sent["start_offset"] == sent["end_offset"] == "6"
    done = _videos(p, p.token, upload_phase="finish", upload_session_id=session, description="Hi")
    assert done.json() == {"success": True}
    [video] = p.posts()
    assert video["id"] == started["video_id"] and video["message"] == "Hi"
