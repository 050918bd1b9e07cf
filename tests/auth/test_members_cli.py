"""`openpost member …` end to end: invite, role, remove, reset link, and the last-owner rule."""

import pytest

from tests.test_cli import openpost


@pytest.fixture
def acme(scratch_databases):
    url = scratch_databases.create()
    for email, role in (("boss@acme.test", "owner"), ("dev@acme.test", "member")):
        made = openpost(url, "user", "create", email, "--workspace", "Acme", "--role", role,
                        "--password", "a long password")
        assert made.returncode == 0, made.stderr
    return url


def test_member_commands(acme, monkeypatch):
    monkeypatch.delenv("SMTP_URL", raising=False)
    invited = openpost(acme, "member", "invite", "new@acme.test", "--workspace", "Acme")
    assert invited.returncode == 0, invited.stderr
    assert "/invite/" in invited.stdout.strip().splitlines()[-1]
    assert "send the link yourself" in invited.stderr
    promoted = openpost(acme, "member", "role", "dev@acme.test", "admin", "--workspace", "Acme")
    assert promoted.returncode == 0 and "now admin" in promoted.stdout
    reset = openpost(acme, "member", "reset-link", "dev@acme.test", "--workspace", "Acme")
    assert reset.returncode == 0 and "/reset/" in reset.stdout
    last = openpost(acme, "member", "remove", "boss@acme.test", "--workspace", "Acme")
    assert last.returncode == 1 and "last owner" in last.stderr
    removed = openpost(acme, "member", "remove", "dev@acme.test", "--workspace", "Acme")
    assert removed.returncode == 0 and "0 API keys revoked" in removed.stdout
    listed = openpost(acme, "member", "list", "--workspace", "Acme").stdout
    assert listed.split() == ["boss@acme.test", "owner"]
    unknown = openpost(acme, "member", "remove", "who@acme.test", "--workspace", "Acme")
    assert unknown.returncode == 1 and "no member who@acme.test" in unknown.stderr
