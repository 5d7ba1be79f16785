// Package apitransport wraps the Kubernetes API client's transport: Activity
// records when each collection's list or watch last succeeded and counts
// failed requests (retries included), logging once per outage; Gate holds
// the informers' requests while the API server is down or refusing and
// lets them through within seconds of its return, so client-go's backoff
// never grows.
//
// A source's plumbing: it never imports client-go's clients, a collector
// or an analysis package.
package apitransport
