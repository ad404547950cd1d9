"""A schema-driven fuzzer for vimsim's SOAP endpoint.

- `generator`: builds requests for every operation of the schema (plus Fetch)
  from `vimsim.schema.load()`: valid values of the declared types, MoRefs drawn
  from the live inventory, and mutations (mistyped, missing, extra, boundary,
  huge, bad dateTimes, deep nesting, wrong references, malformed XML).
- `verdict`: what makes an answer wrong (not a well-formed SOAP result or
  fault, an internal error, a success for a request that had to fail).
- `campaign`: sends the requests over raw HTTP, with and without a session,
  collects failures by signature, shrinks each to a minimal envelope.

Run a campaign against a fresh simulator, for as long as you like:

    python3 -m tools.fuzz --seed 1 --count 100000
    python3 -m tools.fuzz --seed 1 --minutes 240 --workers 4

tests/test_fuzz.py runs a bounded campaign against an in-process simulator.
"""
