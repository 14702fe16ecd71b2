"""Investigations: the money-flow network around an account, which the
streaming rules cannot see (fan-in to a mule, fan-out, cycles), read from
the stored transactions."""
