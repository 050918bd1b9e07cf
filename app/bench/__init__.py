"""The publishing benchmark (`openpost bench`) and the loopback platform it publishes to."""
