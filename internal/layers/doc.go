// Package layers holds no code: its test guards the project's layering
// (docs/architecture.md), failing when a package imports across a never.
package layers
