"""Performance harness for cc-relay (not run by the test suite); see bench/README.md."""
