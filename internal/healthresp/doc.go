// Package healthresp reads health endpoint responses for the components
// they check: IETF "application/health+json" (draft-inadarei-api-health-check),
// Spring Boot actuator and MicroProfile Health. Responses come from
// endpoints nobody vetted: the caller bounds the size, this package the
// nesting, and invalid UTF-8 is refused rather than guessed at.
//
// Parsing only: it never dials, and never imports client-go or a collector.
package healthresp
