"""The cluster's shared room in Redis: Lua scripts for every write, one stream for the order."""
