// Package host reads node-level truth from the host's /proc and /sys, rooted
// at configurable paths (the agent mounts the host's into its container):
// which block device holds a directory (mountinfo, then /sys/dev/block),
// and that device's I/O counters (/proc/diskstats).
//
// Parsers take io.Readers and skip lines they cannot read, counting them,
// so a truncated or odd line never costs the whole file; they are fuzzed.
package host
