package manifest

// RemovedAPI is an API version Kubernetes no longer serves: a manifest
// using it fails to apply from that release on.
type RemovedAPI struct {
	// RemovedIn is the Kubernetes minor release that stopped serving it.
	RemovedIn string
	// Use is the API version to use instead; empty when the kind itself
	// was removed.
	Use string
}

// removedAPIs is the Kubernetes deprecated API migration guide
// (kubernetes.io/docs/reference/using-api/deprecation-guide), by
// "apiVersion Kind". Kinds of a removed group version not listed here
// fall under "apiVersion *".
var removedAPIs = map[string]RemovedAPI{
	"extensions/v1beta1 Deployment":               {"1.16", "apps/v1"},
	"extensions/v1beta1 DaemonSet":                {"1.16", "apps/v1"},
	"extensions/v1beta1 ReplicaSet":               {"1.16", "apps/v1"},
	"extensions/v1beta1 NetworkPolicy":            {"1.16", "networking.k8s.io/v1"},
	"extensions/v1beta1 PodSecurityPolicy":        {"1.16", "policy/v1beta1 (itself removed in 1.25)"},
	"extensions/v1beta1 Ingress":                  {"1.22", "networking.k8s.io/v1"},
	"apps/v1beta1 *":                              {"1.16", "apps/v1"},
	"apps/v1beta2 *":                              {"1.16", "apps/v1"},
	"networking.k8s.io/v1beta1 Ingress":           {"1.22", "networking.k8s.io/v1"},
	"networking.k8s.io/v1beta1 IngressClass":      {"1.22", "networking.k8s.io/v1"},
	"admissionregistration.k8s.io/v1beta1 *":      {"1.22", "admissionregistration.k8s.io/v1"},
	"apiextensions.k8s.io/v1beta1 *":              {"1.22", "apiextensions.k8s.io/v1"},
	"apiregistration.k8s.io/v1beta1 *":            {"1.22", "apiregistration.k8s.io/v1"},
	"authentication.k8s.io/v1beta1 *":             {"1.22", "authentication.k8s.io/v1"},
	"authorization.k8s.io/v1beta1 *":              {"1.22", "authorization.k8s.io/v1"},
	"certificates.k8s.io/v1beta1 *":               {"1.22", "certificates.k8s.io/v1"},
	"coordination.k8s.io/v1beta1 *":               {"1.22", "coordination.k8s.io/v1"},
	"rbac.authorization.k8s.io/v1beta1 *":         {"1.22", "rbac.authorization.k8s.io/v1"},
	"scheduling.k8s.io/v1beta1 *":                 {"1.22", "scheduling.k8s.io/v1"},
	"storage.k8s.io/v1beta1 CSIDriver":            {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1 CSINode":              {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1 StorageClass":         {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1 VolumeAttachment":     {"1.22", "storage.k8s.io/v1"},
	"storage.k8s.io/v1beta1 CSIStorageCapacity":   {"1.27", "storage.k8s.io/v1"},
	"batch/v1beta1 CronJob":                       {"1.25", "batch/v1"},
	"discovery.k8s.io/v1beta1 EndpointSlice":      {"1.25", "discovery.k8s.io/v1"},
	"events.k8s.io/v1beta1 Event":                 {"1.25", "events.k8s.io/v1"},
	"autoscaling/v2beta1 HorizontalPodAutoscaler": {"1.25", "autoscaling/v2"},
	"autoscaling/v2beta2 HorizontalPodAutoscaler": {"1.26", "autoscaling/v2"},
	"policy/v1beta1 PodDisruptionBudget":          {"1.25", "policy/v1"},
	"policy/v1beta1 PodSecurityPolicy":            {"1.25", ""},
	"node.k8s.io/v1beta1 RuntimeClass":            {"1.25", "node.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta1 *":      {"1.26", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta2 *":      {"1.29", "flowcontrol.apiserver.k8s.io/v1"},
	"flowcontrol.apiserver.k8s.io/v1beta3 *":      {"1.32", "flowcontrol.apiserver.k8s.io/v1"},
}

// Removed reports whether apiVersion/kind is no longer served.
func Removed(apiVersion, kind string) (RemovedAPI, bool) {
	if r, ok := removedAPIs[apiVersion+" "+kind]; ok {
		return r, true
	}
	r, ok := removedAPIs[apiVersion+" *"]
	return r, ok
}
