// Package bounded reads at most so many bytes, with one meaning at the
// limit: more than the limit is ErrTooLarge, returned with what fit, and
// each caller says whether a truncated read will do (a process title) or
// is an error (a manifest, a health response).
//
// It never imports anything else of the exporter.
package bounded
