"""After publishing: the post-release commits (as branches for pull requests, never a push to
a protected branch), the b1 branch cut and main bump, and the draft announcement.
:mod:`.changes` makes the commits, :mod:`.announce` writes the announcement, :mod:`.pulls`
opens the pull requests with PyGithub."""
