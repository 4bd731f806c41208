"""chat-bench: a load generator for chat servers (protocol v1 and plain IRC) and the suite
behind `make bench`. It talks to servers over sockets only, like any outside client."""
