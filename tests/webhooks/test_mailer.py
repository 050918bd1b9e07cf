"""SMTP_URL parsing: the forms the README documents."""

from __future__ import annotations

import pytest

from app.notifications import mailer


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.com", ("mail.example.com", 25, None, None, "none",
                                 "openpost@mail.example.com")),
    ("smtp://u%40x:p%2Fw@mail.example.com:2525?starttls=1&from=alerts@example.com",
     ("mail.example.com", 2525, "u@x", "p/w", "starttls", "alerts@example.com")),
    ("smtp://mail.example.com?starttls=true", ("mail.example.com", 587, None, None, "starttls",
                                               "openpost@mail.example.com")),
    ("smtps://u:p@mail.example.com", ("mail.example.com", 465, "u", "p", "ssl",
                                      "openpost@mail.example.com")),
    ("smtp://mail.example.com:2465?ssl=1", ("mail.example.com", 2465, None, None, "ssl",
                                            "openpost@mail.example.com")),
])
def test_smtp_url_forms(url, expected):
    conf = mailer.settings(url)
    assert (conf.host, conf.port, conf.username, conf.password, conf.security,
            conf.sender) == expected


def test_unset_or_wrong_scheme():
    with pytest.raises(mailer.MailNotConfigured):
        mailer.settings("")
    with pytest.raises(ValueError, match="smtp://"):
        mailer.settings("http://mail.example.com")
