// Package healthfetch reads workloads' health endpoints from their own
// pods, safely: the endpoints are arbitrary code nobody vetted, so every
// read is bounded in time, size, nesting, concurrency and rate, never
// follows a redirect, never dials any address but the pod's, and trusts
// TLS for nothing (it sends no credentials and believes only the body's
// shape). One hostile endpoint costs its own result, nothing else.
package healthfetch
