package manifest

import "github.com/kube-reliability/kube-reliability-exporter/internal/kubeversions"

// RemovedAPI is an API version Kubernetes no longer serves, or will stop
// serving: a manifest using it fails to apply from that release on.
type RemovedAPI struct {
	// RemovedIn is the Kubernetes minor release that stops serving it.
	RemovedIn string
	// Use is the API version to use instead; empty when the kind itself
	// goes, or its replacement is not settled.
	Use string
}

// removedAPIs is internal/kubeversions' table, which the live signal on
// deprecated requests reads too. It is embedded and checked by tests, so
// a failure to load is a build defect.
var removedAPIs = func() *kubeversions.Table {
	t, err := kubeversions.Load()
	if err != nil {
		panic(err)
	}
	return t
}()

// Removed reports whether apiVersion/kind is removed or scheduled for
// removal.
func Removed(apiVersion, kind string) (RemovedAPI, bool) {
	a, ok := removedAPIs.Removed(apiVersion, kind)
	return RemovedAPI{RemovedIn: a.RemovedIn, Use: a.Use}, ok
}
