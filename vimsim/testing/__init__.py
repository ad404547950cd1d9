"""vimsim for tests: the pytest plugin (`plugin`, registered through the
``pytest11`` entry point), simulators served on a reactor thread (`server`,
`threaded`). The in-process mode is `vimsim.mock`. docs/testing.md shows
them at work."""
