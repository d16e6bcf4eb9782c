"""`make bench`: a synthetic board, the production server, wrk, and the figures (see docs/deploy.md)."""
