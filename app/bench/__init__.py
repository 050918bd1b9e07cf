"""The publishing benchmark (`openpost bench`) and the loopback platform it publishes to; the
media memory benchmark (`openpost bench media`)."""
