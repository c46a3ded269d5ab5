"""The local release rehearsal: the whole pipeline on this machine, as a sequence of pipes."""
