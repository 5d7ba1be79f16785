// Package golden compares generated output with a checked-in file, the
// way every generated artefact of the repository (docs/metrics.md,
// docs/configuration.md, the PrometheusRule, the demo exposition) is kept
// true: the test fails on any difference and rewrites the file when run
// with -update, so the diff is reviewed like code.
//
// For tests only: production code never imports it.
package golden
