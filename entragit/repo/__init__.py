"""The backup repository: the one layer that runs git.

`writer` builds backup commits (a run's files streamed into `git fast-import`, with interruption safety),
`reader` answers history queries from per-commit caches, `entries` summarizes one object file. Both sides run
git through `git.run` with one environment and raise one error class, `RepoError`.
"""
