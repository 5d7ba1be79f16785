//go:build !agentonly

package collector

// All lists every collector, in the order docs and scrapes show them.
// Adding a signal starts here (see docs/architecture.md).
var All = []*Spec{
	&exporterSpec,
	&placementSpec,
	&placementDetailSpec,
	&lossSpec,
	&disruptionSpec,
	&hypothesesSpec,
	&scoreSpec,
	&resourcesSpec,
	&ownersSpec,
	&ingressSpec,
	&gatewaySpec,
	&certificatesSpec,
	&webhooksSpec,
	&apiservicesSpec,
	&helmSpec,
	&etcdSpec,
	&apiserverStorageSpec,
	&versionsSpec,
	&deprecatedAPIsSpec,
	&controllerVersionsSpec,
	&etcdDiskSpec,
	&healthSpec,
	&healthFetchSpec,
	&nginxSpec,
	&nginxStubStatusSpec,
}
