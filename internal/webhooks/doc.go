// Package webhooks reads the admission webhooks' CA bundles: the public
// certificates (carried in the configuration objects, not Secrets) that a
// webhook's serving certificate must chain to. A bundle that expires breaks
// every call to the webhook, and with failurePolicy Fail every write the
// webhook matches is refused, cluster-wide.
//
// Analysis: it never imports client-go, the network or a collector.
package webhooks
