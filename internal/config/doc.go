// Package config defines every RELIABILITY_* environment variable, parses
// them once (envconfig), checks them against each other (Validate) and
// prints them (Usage). Other packages receive values, never the
// environment.
package config
