"""The publishing benchmark (`openpost bench`): worker processes publishing to a loopback
platform, with the data, publisher and figures it uses (the engine tests use them too)."""
