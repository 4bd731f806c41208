"""The IRC gateway: a second wire protocol beside v1, into the same room."""
