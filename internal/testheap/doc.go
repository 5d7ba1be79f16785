// Package testheap measures the heap of a test's own process, for tests
// that bound a component's memory: what is live, and the peak while some
// work runs. It reads runtime/metrics, which does not stop the world, so
// sampling every few milliseconds does not slow the work it measures.
//
// For tests only: production code never imports it.
package testheap
