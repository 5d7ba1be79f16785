// Package resources analyzes whether a shared cluster keeps one
// application from starving the rest: containers without CPU/memory
// requests or limits (counted once per workload template and bare pod, not
// per replica), namespaces without a ResourceQuota or LimitRange, the
// defaults a LimitRange gives (which make a missing request harmless), and
// how full each quota is.
//
// A container counts as without a request for a resource when it sets
// neither a request nor a limit for it: the API server defaults a missing
// request to the limit. Pods owned by Jobs or other controllers are not
// counted: only workload templates and bare pods are.
//
// Analysis: it never imports client-go, the network, a source or a collector.
package resources
