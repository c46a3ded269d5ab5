"""Publishing targets: python.org (SFTP + API + CDN), GitHub releases, and a local tree."""
