// Package builtin holds the built-in steady-state hypotheses as pure
// functions over the analyses' results: each returns what breaks it, or
// an error wrapping hypotheses.ErrUnknown. Apart from internal/hypotheses
// so that the agent's build, which serves answers' type but no analysis,
// links none of them.
//
// Analysis: it never imports client-go, the network, a source or a
// collector.
package builtin
