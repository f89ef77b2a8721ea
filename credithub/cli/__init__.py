"""The `credithub` command line."""
